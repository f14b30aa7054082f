import {mkdtempSync, readFileSync, writeFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import path from 'node:path';
import {execFileSync} from 'node:child_process';
import {execa} from 'execa';
import {describe, expect, it} from 'vitest';
import {runCli, runEvents, trailerCount} from '../helpers/repo.js';

const git = (cwd: string, ...args: string[]) => execFileSync('git', args, {cwd, encoding: 'utf8'});

describe('the demo batch', () => {
	it('runs 9 tickets (and the one a worker files mid-run) to oracle 0; then the oracle answers 1 for a ticket set back to todo and 2 for an empty batch', async () => {
		const dir = path.join(mkdtempSync(path.join(tmpdir(), 'pl-demo-')), 'repo');
		const result = await runCli(process.cwd(), ['demo', '--dir', dir]);
		expect(result.stderr).toBe('');
		expect(result.exitCode).toBe(0);
		expect(result.stdout).toMatch(/oracle: exit 0 \(done\): 10\/10/);
		expect(result.stdout).toMatch(/report: .*report\.md/);

		const events = runEvents(dir);
		// The scripted failures happened, and the next attempts fixed them.
		expect(events.some(e => e.type === 'attempt.failed' && e.ticket === 'T-5' && e.stage === 'checks')).toBe(true);
		expect(events.some(e => e.type === 'attempt.failed' && e.ticket === 'T-4' && e.stage === 'verify')).toBe(true);
		expect(events.filter(e => e.type === 'ticket.done')).toHaveLength(10);
		// T-9's worker discovered missing work, filed it blocking itself, and finished after it.
		expect(events.some(e => e.type === 'ticket.filed' && e.ticket === 'T-10' && e.from === 'T-9' && e.blocks === 'T-9')).toBe(true);
		expect(events.some(e => e.type === 'attempt.parked' && e.ticket === 'T-9')).toBe(true);
		const report = JSON.parse((await runCli(dir, ['report', '--json'])).stdout);
		expect(report.filedByLoop).toEqual(['T-10']);
		expect(readFileSync(path.join(dir, '.proofloop/runs', report.runId, 'report.md'), 'utf8')).toMatch(/filed by the loop itself: T-10/);
		for (const id of ['T-1', 'T-2', 'T-3', 'T-5', 'T-6', 'T-7', 'T-8', 'T-9', 'T-10']) expect(await trailerCount(dir, id)).toBe(1);
		// The activation gap: merged once without effect, merged again with the flag.
		expect(await trailerCount(dir, 'T-4')).toBe(2);

		expect((await runCli(dir, ['oracle'])).exitCode).toBe(0);
		// Done's evidence is committed: the checkout is clean, and a tidy-up or a clone keeps the verdict.
		expect(git(dir, 'status', '--porcelain')).toBe('');
		git(dir, 'stash', '-u');
		expect((await runCli(dir, ['oracle'])).exitCode).toBe(0);
		const clone = path.join(path.dirname(dir), 'clone');
		git(dir, 'clone', '-q', dir, clone);
		const cloned = await execa(process.execPath, [path.resolve('oracle/oracle.mjs'), '--repo', clone], {reject: false});
		expect(cloned.exitCode, cloned.stdout + cloned.stderr).toBe(0);

		const t3 = path.join(dir, '.proofloop/tickets/T-3.md');
		const done = readFileSync(t3, 'utf8');
		writeFileSync(t3, done.replace('status: done', 'status: todo'));
		const notDone = await runCli(dir, ['oracle']);
		expect(notDone.exitCode).toBe(1);
		expect(notDone.stdout).toMatch(/T-3\s+todo/);
		writeFileSync(t3, done);

		const configFile = path.join(dir, '.proofloop/config.json');
		const config = JSON.parse(readFileSync(configFile, 'utf8'));
		writeFileSync(configFile, JSON.stringify({...config, batch: 'nosuch'}));
		const empty = await runCli(dir, ['oracle']);
		expect(empty.exitCode).toBe(2);
		expect(empty.stdout + empty.stderr).toMatch(/batch 'nosuch' is empty/);
	}, 180_000);
});
