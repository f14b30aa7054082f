import {spawnSync} from 'node:child_process';
import type {Command} from 'commander';
import {openRepo} from '../git/index.js';
import {tripwire} from '../core/oracle.js';
import {oracleFile} from '../core/paths.js';
import {listRuns, runDir} from '../core/run-dir.js';
import {reportError} from './errors.js';

export function registerOracle(program: Command): void {
	program
		.command('oracle')
		.description('ask the frozen done-oracle whether the batch is done (a separate process that reads only the tracker and git)')
		.option('--json', 'print the verdict as JSON')
		.option('--batch <name>', 'judge this batch instead of the configured one')
		.option('--run <id>', "check against this run's pinned manifest (default: the newest run, if any)")
		.option('--self-test', "run the tripwire instead: every oracle file matches oracle/SHA256SUMS and the conformance fixtures give their expected exit codes")
		.addHelpText(
			'after',
			`
Exit codes: 0 done (every ticket done with its merge commit on base, or human-gated),
1 not done (names each ticket and why), 2 cannot judge (unreadable tracker, a pinned
ticket missing, an empty batch).`,
		)
		.action(async (opts: {json?: boolean; batch?: string; run?: string; selfTest?: boolean}) => {
			try {
				if (opts.selfTest) {
					const wire = await tripwire();
					if (opts.json) process.stdout.write(JSON.stringify(wire, null, 2) + '\n');
					else process.stdout.write(wire.ok ? `tripwire: ok (oracle sha256 ${wire.oracleSha256})\n` : `tripwire: FAILED\n${wire.problems.map(p => `  ${p}`).join('\n')}\n`);
					process.exitCode = wire.ok ? 0 : 1;
					return;
				}
				const repo = await openRepo(process.cwd());
				const run = opts.run ? runDir(repo.root, opts.run) : listRuns(repo.root)[0];
				const args = [oracleFile, '--repo', repo.root];
				if (run) args.push('--manifest', run.manifestFile);
				if (opts.batch) args.push('--batch', opts.batch);
				if (opts.json) args.push('--json');
				const result = spawnSync(process.execPath, args, {stdio: 'inherit'});
				process.exitCode = result.status ?? 2;
			} catch (error) {
				process.exitCode = reportError(error);
			}
		});
}
