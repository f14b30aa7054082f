import {existsSync, readFileSync, writeFileSync} from 'node:fs';
import path from 'node:path';
import {describe, expect, it} from 'vitest';
import {execa} from 'execa';
import {listRuns} from '../../source/core/run-dir.js';
import {findRunProcesses} from '../../source/process/orphans.js';
import {CLI, makeRepo, runCli, runEvents, trailerCount} from '../helpers/repo.js';

const sleep = (ms: number) => new Promise(resolve => setTimeout(resolve, ms));

async function waitFor(predicate: () => boolean, timeoutMs: number): Promise<void> {
	const until = Date.now() + timeoutMs;
	while (!predicate()) {
		if (Date.now() > until) throw new Error('timed out waiting');
		await sleep(25);
	}
}

describe('crash and resume', () => {
	it('after kill -9 of the engine mid-batch, `proofloop run` resumes the same run and ends at oracle 0 with every merge once', async () => {
		const ids = ['A', 'B', 'C', 'D', 'E', 'F'];
		const {root, plan} = makeRepo({
			tickets: ids.map((id, i) => ({id, deps: i >= 3 ? [ids[i - 3]!] : []})),
			config: {concurrency: 2},
			plan: {_sleepMs: 500},
		});
		const engine = execa(process.execPath, [CLI, 'run', '--headless'], {cwd: root, reject: false, env: {FAKE_AGENT_PLAN: plan}, stdin: 'ignore'});
		const merges = () => {
			const run = listRuns(root)[0];
			if (!run || !existsSync(run.eventsFile)) return 0;
			return readFileSync(run.eventsFile, 'utf8')
				.split('\n')
				.filter(line => line.includes('"type":"merge.done"')).length;
		};
		await waitFor(() => merges() >= 2, 30_000);
		engine.kill('SIGKILL');
		await engine;
		const runId = listRuns(root)[0]!.id;

		const resumed = await runCli(root, ['run', '--headless'], {FAKE_AGENT_PLAN: plan});
		expect(resumed.stderr).toBe('');
		expect(resumed.exitCode).toBe(0);
		expect(resumed.stdout).toMatch(/run resumed/);
		expect(listRuns(root)).toHaveLength(1);
		expect(listRuns(root)[0]!.id).toBe(runId);
		for (const id of ids) expect(await trailerCount(root, id)).toBe(1);
		expect(findRunProcesses(runId)).toEqual([]);
		const events = runEvents(root);
		expect(events.filter(e => e.type === 'run.resumed')).toHaveLength(1);
		const worktrees = await execa('git', ['worktree', 'list', '--porcelain'], {cwd: root});
		expect(worktrees.stdout.match(/^worktree /gm)).toHaveLength(1);
	});

	it('a run killed before its first event resumes as a run of its batch: the resumed log starts with run.started from the manifest', async () => {
		const {root, plan} = makeRepo({tickets: [{id: 'A'}], plan: {_sleepMs: 2000}});
		const engine = execa(process.execPath, [CLI, 'run', '--headless'], {cwd: root, reject: false, env: {FAKE_AGENT_PLAN: plan}, stdin: 'ignore'});
		await waitFor(() => Boolean(listRuns(root)[0]) && runEvents(root).some(e => e.type === 'agent.spawned'), 30_000);
		engine.kill('SIGKILL');
		await engine;
		// As if the kill came right after the run directory was made: the log is empty.
		const run = listRuns(root)[0]!;
		writeFileSync(run.eventsFile, '');
		const manifest = JSON.parse(readFileSync(path.join(run.dir, 'manifest.json'), 'utf8'));
		const resumed = await runCli(root, ['run', '--headless'], {FAKE_AGENT_PLAN: plan});
		expect(resumed.exitCode, resumed.stdout + resumed.stderr).toBe(0);
		const events = runEvents(root);
		expect(events[0]).toMatchObject({type: 'run.started', runId: run.id, batch: manifest.batch, base: manifest.base_branch});
		expect(events[1]).toMatchObject({type: 'run.resumed'});
		const status = await runCli(root, ['status']);
		expect(status.stdout).toContain(`run ${run.id} (batch '${manifest.batch}')`);
	});

	it('a filing cut by a crash after its event (no manifest entry, no blocker edge) is finished on resume: the filer still waits for its blocker', async () => {
		const {root, plan} = makeRepo({tickets: [{id: 'T-1'}], plan: {'T-1': 'file-blocker', _sleepMs: 50, '_sleepMs:T-2': 60_000}});
		const engine = execa(process.execPath, [CLI, 'run', '--headless'], {cwd: root, reject: false, env: {FAKE_AGENT_PLAN: plan}, stdin: 'ignore'});
		await waitFor(
			() => existsSync(path.join(root, '.proofloop/tickets/T-2.md')) && runEvents(root).some(e => e.type === 'attempt.started' && e.ticket === 'T-2'),
			30_000,
		);
		engine.kill('SIGKILL');
		await engine;
		// Put the tracker and the manifest back to the moment right after the ticket.filed event.
		const t1 = path.join(root, '.proofloop/tickets/T-1.md');
		writeFileSync(t1, readFileSync(t1, 'utf8').replace(/^deps: \[T-2\]$/m, 'deps: []'));
		expect(readFileSync(t1, 'utf8')).toMatch(/^deps: \[\]$/m);
		const manifestFile = path.join(listRuns(root)[0]!.dir, 'manifest.json');
		const manifest = JSON.parse(readFileSync(manifestFile, 'utf8'));
		writeFileSync(manifestFile, JSON.stringify({...manifest, ticket_ids: ['T-1']}, null, 2));
		// And the log: it ends with the ticket.filed event.
		const eventsFile = path.join(listRuns(root)[0]!.dir, 'events.jsonl');
		const lines = readFileSync(eventsFile, 'utf8').split('\n');
		writeFileSync(eventsFile, `${lines.slice(0, lines.findIndex(line => line.includes('"type":"ticket.filed"')) + 1).join('\n')}\n`);

		writeFileSync(plan, JSON.stringify({'T-1': 'file-blocker', _sleepMs: 50}));
		const resumed = await runCli(root, ['run', '--headless'], {FAKE_AGENT_PLAN: plan});
		expect(resumed.exitCode).toBe(0);
		expect(readFileSync(t1, 'utf8')).toMatch(/^deps: \[T-2\]$/m);
		expect(JSON.parse(readFileSync(manifestFile, 'utf8')).ticket_ids).toEqual(['T-1', 'T-2']);
		const events = runEvents(root);
		const after = events.slice(events.findIndex(e => e.type === 'run.resumed'));
		const at = (pred: (e: (typeof events)[number]) => boolean) => after.findIndex(pred);
		expect(at(e => e.type === 'attempt.started' && e.ticket === 'T-1')).toBeGreaterThan(at(e => e.type === 'ticket.done' && e.ticket === 'T-2'));
	});

	it('a filing that finished before the crash is left alone on resume: a blocker edge a human removed stays removed', async () => {
		const {root, plan} = makeRepo({tickets: [{id: 'T-1'}], plan: {'T-1': 'file-blocker', _sleepMs: 50, '_sleepMs:T-2': 60_000}});
		const engine = execa(process.execPath, [CLI, 'run', '--headless'], {cwd: root, reject: false, env: {FAKE_AGENT_PLAN: plan}, stdin: 'ignore'});
		await waitFor(
			() => existsSync(path.join(root, '.proofloop/tickets/T-2.md')) && runEvents(root).some(e => e.type === 'attempt.started' && e.ticket === 'T-2'),
			30_000,
		);
		engine.kill('SIGKILL');
		await engine;
		expect(runEvents(root).some(e => e.type === 'ticket.filing.done' && e.ticket === 'T-2')).toBe(true);
		// A human decides T-1 need not wait after all.
		const t1 = path.join(root, '.proofloop/tickets/T-1.md');
		writeFileSync(t1, readFileSync(t1, 'utf8').replace(/^deps: \[T-2\]$/m, 'deps: []'));

		writeFileSync(plan, JSON.stringify({'T-1': 'file-blocker', _sleepMs: 50}));
		const resumed = await runCli(root, ['run', '--headless'], {FAKE_AGENT_PLAN: plan});
		expect(resumed.exitCode, resumed.stdout).toBe(0);
		expect(readFileSync(t1, 'utf8')).toMatch(/^deps: \[\]$/m);
		const after = runEvents(root).slice(runEvents(root).findIndex(e => e.type === 'run.resumed'));
		expect(after.filter(e => e.type === 'ticket.status' && e.ticket === 'T-1' && /a filing finished after a restart/.test(e.reason ?? ''))).toEqual([]);
	});
});
