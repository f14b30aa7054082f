import {spawnSync} from 'node:child_process';
import type {Command} from 'commander';
import {oracleFile} from '../core/paths.js';
import {oracleFix, readPinnedOracle} from '../core/pinned-oracle.js';
import {findRun} from './find-run.js';
import {oracleRepoRoot} from './oracle-repo.js';

// Only what a verdict needs is loaded up front: the git layer, zod, execa and the
// engine (errors.js) cost more CPU than the oracle itself at 1,000 tickets.

export function registerOracle(program: Command): void {
	program
		.command('oracle')
		.description('ask the frozen done-oracle whether the batch is done (a separate process that reads only the tracker and git)')
		.option('--json', 'print the verdict as JSON')
		.option('--batch <name>', 'judge this batch instead of the configured one')
		.option('--run <id>', "check against this run's pinned manifest (default: the newest run, if any)")
		.option('--self-test', 'run the tripwire instead: every oracle file matches oracle/SHA256SUMS and the conformance fixtures give their expected exit codes')
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
					// A replaced or broken oracle is named with the fix, not run against the fixtures.
					const oracle = readPinnedOracle();
					if (!oracle.ok) {
						if (opts.json) process.stdout.write(JSON.stringify({ok: false, problems: [oracle.message], oracleSha256: oracle.actual}, null, 2) + '\n');
						else process.stderr.write(`tripwire: FAILED\n  ${oracle.message}\n`);
						process.exitCode = 2;
						return;
					}
					const {tripwire} = await import('../core/oracle.js');
					const wire = await tripwire();
					if (opts.json) process.stdout.write(JSON.stringify(wire, null, 2) + '\n');
					else
						process.stdout.write(
							wire.ok ? `tripwire: ok (oracle sha256 ${wire.oracleSha256})\n` : `tripwire: FAILED\n${wire.problems.map(p => `  ${p}`).join('\n')}\n`,
						);
					if (!wire.ok) process.stderr.write(`  the oracle ${oracleFile} fails its own fixtures\n  fix: ${oracleFix()}\n`);
					process.exitCode = wire.ok ? 0 : 1;
					return;
				}
				const repo = {root: await oracleRepoRoot(process.cwd())};
				const run = findRun(repo.root, opts.run);
				// The pin is checked on the bytes that then run (from stdin): a file swapped in between never runs.
				const oracle = readPinnedOracle();
				if (!oracle.ok) {
					process.stderr.write(`oracle: CANNOT JUDGE: ${oracle.message}\n`);
					process.exitCode = 2;
					return;
				}
				const args = ['--input-type=module', '-', '--repo', repo.root];
				if (run) args.push('--manifest', run.manifestFile);
				if (opts.batch) args.push('--batch', opts.batch);
				if (opts.json) args.push('--json');
				const result = spawnSync(process.execPath, args, {input: oracle.source, maxBuffer: 256 * 1024 * 1024});
				const out = result.stdout?.toString() ?? '';
				const err = result.stderr?.toString() ?? '';
				// Only a verdict the oracle printed is passed on: a crash (a file that does not parse) is "cannot judge".
				const judged = opts.json ? /^\{"verdict":/.test(out) : /^oracle: (DONE|NOT DONE|CANNOT JUDGE)/.test(out + err);
				if (!judged || ![0, 1, 2].includes(result.status ?? -1)) {
					const why = err.split('\n').find(line => /Error/.test(line)) ?? `exit ${result.status ?? result.signal}`;
					process.stderr.write(`oracle: CANNOT JUDGE: the oracle ${oracleFile} printed no verdict (${why.trim()})\n  fix: ${oracleFix()}\n`);
					process.exitCode = 2;
					return;
				}
				process.stdout.write(out);
				process.stderr.write(err);
				process.exitCode = result.status ?? 2;
			} catch (error) {
				process.exitCode = (await import('./errors.js')).reportError(error);
			}
		});
}
