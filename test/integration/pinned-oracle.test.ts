import {createHash} from 'node:crypto';
import {copyFileSync, cpSync, existsSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import path from 'node:path';
import {execa} from 'execa';
import {describe, expect, it} from 'vitest';
import {listRuns} from '../../source/core/run-dir.js';
import {makeRepo, runEvents, trailerCount} from '../helpers/repo.js';

// A private install of the built package: these tests break its oracle, which must not touch the shared dist/.
function packageCopy(): {cli: string; oracle: string; sums: string} {
	const dir = mkdtempSync(path.join(tmpdir(), 'pl-pkg-'));
	cpSync('dist', path.join(dir, 'dist'), {recursive: true});
	copyFileSync('package.json', path.join(dir, 'package.json'));
	symlinkSync(path.resolve('node_modules'), path.join(dir, 'node_modules'));
	return {cli: path.join(dir, 'dist', 'cli.js'), oracle: path.join(dir, 'dist', 'oracle', 'oracle.mjs'), sums: path.join(dir, 'dist', 'oracle', 'SHA256SUMS')};
}

const sha256 = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');
const cli = (entry: string, root: string, args: string[], env: Record<string, string> = {}) =>
	execa(process.execPath, [entry, ...args], {cwd: root, reject: false, env: {...env, NO_COLOR: '1'}, stdin: 'ignore'});

describe('the oracle that runs is the oracle that was pinned', () => {
	it('`proofloop oracle` and `oracle --self-test` on a broken oracle file: exit 2, the file, both hashes and the fix, no stack', async () => {
		const pkg = packageCopy();
		const {root} = makeRepo({tickets: [{id: 'T-1'}]});
		const pinned = sha256(pkg.oracle);
		writeFileSync(pkg.oracle, 'export const broken = (;\n');
		const actual = sha256(pkg.oracle);
		for (const args of [['oracle'], ['oracle', '--self-test'], ['oracle', '--json']]) {
			const result = await cli(pkg.cli, root, args);
			const output = result.stdout + result.stderr;
			expect(result.exitCode, output).toBe(2);
			expect(output).toContain(pkg.oracle);
			expect(output).toContain(actual);
			expect(output).toContain(pinned);
			expect(output).toContain('git checkout -- oracle/');
			expect(output).toContain('node scripts/pin-oracle.mjs');
			expect(output).not.toMatch(/\n\s+at /);
		}
		// Re-pinned to the broken bytes (the pin agrees, the file does not parse): still exit 2 with the fix, no stack.
		writeFileSync(pkg.sums, readFileSync(pkg.sums, 'utf8').replace(pinned, actual));
		const repinned = await cli(pkg.cli, root, ['oracle']);
		expect(repinned.exitCode, repinned.stderr).toBe(2);
		expect(repinned.stderr).toContain('git checkout -- oracle/');
		expect(repinned.stderr).not.toMatch(/\n\s+at /);
	});

	it('an oracle file replaced during a run is never executed: dispatch stops, nothing merges, both hashes named in the output and the stop report', async () => {
		const pkg = packageCopy();
		const {root, plan, io} = makeRepo({
			tickets: [{id: 'T-1'}, {id: 'T-2'}],
			config: {sandbox: 'none', concurrency: 1, attempts: 1},
			plan: {'_sleepMs:T-1': 4000, _sleepMs: 50},
		});
		const marker = path.join(io, 'impostor-ran');
		const pinned = sha256(pkg.oracle);
		const run = cli(pkg.cli, root, ['run', '--headless'], {FAKE_AGENT_PLAN: plan});
		// Wait for T-1's agent to be running, then swap the oracle for one that would say done.
		const deadline = Date.now() + 120_000;
		for (;;) {
			const started =
				listRuns(root)[0] && existsSync(listRuns(root)[0]!.eventsFile) && runEvents(root).some(e => e.type === 'attempt.started' && e.ticket === 'T-1');
			if (started) break;
			if (Date.now() > deadline) throw new Error('T-1 never started');
			await new Promise(resolve => setTimeout(resolve, 100));
		}
		writeFileSync(
			pkg.oracle,
			`import {writeFileSync} from 'node:fs';\nwriteFileSync(${JSON.stringify(marker)}, 'ran');\nprocess.stdout.write(JSON.stringify({verdict: 'done', exit: 0, tickets: []}) + '\\n');\n`,
		);
		const impostor = sha256(pkg.oracle);
		const result = await run;
		const output = result.stdout + result.stderr;

		expect(existsSync(marker)).toBe(false);
		expect(result.exitCode, output).not.toBe(0);
		expect(output).toContain(impostor);
		expect(output).toContain(pinned);
		const events = runEvents(root);
		// Nothing new started, nothing merged.
		expect(events.some(e => e.type === 'attempt.started' && e.ticket === 'T-2')).toBe(false);
		expect(events.some(e => e.type === 'merge.intent')).toBe(false);
		expect(await trailerCount(root, 'T-1')).toBe(0);
		const final = events.findLast(e => e.type === 'oracle.verdict');
		expect(final).toMatchObject({exit: 2, final: true});
		const stopReport = readFileSync(path.join(listRuns(root)[0]!.dir, 'stop-report.md'), 'utf8');
		expect(stopReport).toContain(impostor);
		expect(stopReport).toContain(pinned);
		expect(stopReport).toContain('git checkout -- oracle/');
		expect(existsSync(marker)).toBe(false);
	}, 180_000);
});
