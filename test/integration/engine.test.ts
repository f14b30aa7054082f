import {existsSync, readFileSync} from 'node:fs';
import path from 'node:path';
import {describe, expect, it} from 'vitest';
import {intervals, makeRepo, overlaps, runCli, runEvents, trailerCount} from '../helpers/repo.js';

// A zombie (killed, not yet reaped by init on this machine) is dead for our purposes.
const alive = (pid: number): boolean => {
	try {
		const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
		return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
	} catch {
		return false;
	}
};

describe('a real batch with fake agents', () => {
	it('runs independent tickets in parallel, serializes the infra lock, merges each ticket exactly once and ends at oracle 0', async () => {
		const {root, plan} = makeRepo({
			tickets: [{id: 'A'}, {id: 'B'}, {id: 'C', deps: ['A']}, {id: 'I-1', locks: ['infra']}, {id: 'I-2', locks: ['infra']}],
			config: {concurrency: 3},
			plan: {_sleepMs: 600},
		});
		const result = await runCli(root, ['run', '--headless'], {FAKE_AGENT_PLAN: plan});
		expect(result.stderr).toBe('');
		expect(result.exitCode).toBe(0);
		expect(result.stdout).toMatch(/oracle: exit 0/);

		const events = runEvents(root);
		const agents = intervals(events, 'attempt.started', ['agent.exited']);
		const independent = ['A', 'B', 'I-1'].map(id => agents.get(id)!);
		expect(independent.some((span, i) => independent.some((other, j) => i !== j && overlaps(span, other)))).toBe(true);

		const held = intervals(events, 'attempt.started', ['ticket.done', 'attempt.failed']);
		expect(overlaps(held.get('I-1')!, held.get('I-2')!)).toBe(false);
		// C waited for A to be done.
		expect(held.get('C')![0]).toBeGreaterThanOrEqual(held.get('A')![1]);

		for (const id of ['A', 'B', 'C', 'I-1', 'I-2']) expect(await trailerCount(root, id)).toBe(1);
		// Nobody else wrote the tracker: the engine must not mistake its own writes for foreign ones.
		expect(events.filter(e => e.type === 'warning').map(e => (e as {message: string}).message)).toEqual([]);
		const oracle = await runCli(root, ['oracle']);
		expect(oracle.exitCode).toBe(0);
		// A run nobody touched: zero interventions in its ledger.
		expect(JSON.parse((await runCli(root, ['report', '--json'])).stdout)).toMatchObject({interventions: 0, interventionsByKind: {}});
	});

	it('refuses, by the guard, an agent that edits the tracker or the oracle: those tickets are not done', async () => {
		const {root, plan} = makeRepo({
			tickets: [{id: 'OK'}, {id: 'SNEAKY'}, {id: 'ORACLE'}],
			config: {attempts: 1},
			plan: {SNEAKY: 'edit-tracker', ORACLE: 'edit-oracle', _sleepMs: 50},
		});
		const result = await runCli(root, ['run', '--headless'], {FAKE_AGENT_PLAN: plan});
		expect(result.exitCode).toBe(1);
		const refusals = runEvents(root).filter(e => e.type === 'guard.result' && !e.ok);
		expect(refusals.map(e => ('ticket' in e ? e.ticket : '')).sort()).toEqual(['ORACLE', 'SNEAKY']);
		expect(await trailerCount(root, 'SNEAKY')).toBe(0);
		expect(await trailerCount(root, 'ORACLE')).toBe(0);
		const oracle = await runCli(root, ['oracle']);
		expect(oracle.exitCode).toBe(1);
		expect(oracle.stdout).toMatch(/SNEAKY\s+failed/);
		expect(oracle.stdout).toMatch(/ORACLE\s+failed/);
		expect(readFileSync(path.join(root, '.proofloop/tickets/SNEAKY.md'), 'utf8')).toMatch(/status: failed/);
	});

	it('kills an agent that hangs at its timeout, grandchild included', async () => {
		// Unsandboxed: the agent records its own pids, which inside the sandbox's pid namespace
		// are not the host's (the sandboxed hang is in faults.test.ts, found by the run marker).
		const {root, plan} = makeRepo({
			tickets: [{id: 'HANG'}],
			config: {attempts: 1, attemptTimeoutSeconds: 1.5, sandbox: 'none'},
			plan: {HANG: 'hang', _sleepMs: 0},
		});
		const pids = `${plan}.pids`;
		const result = await runCli(root, ['run', '--headless'], {FAKE_AGENT_PLAN: plan, FAKE_AGENT_PIDS: pids});
		expect(result.exitCode).toBe(1);
		const failed = runEvents(root).find(e => e.type === 'attempt.failed');
		expect(failed && 'reason' in failed ? failed.reason : '').toMatch(/timed out/);
		expect(existsSync(pids)).toBe(true);
		const [agent, grandchild] = readFileSync(pids, 'utf8').trim().split('\n').map(Number);
		expect(alive(agent!)).toBe(false);
		expect(alive(grandchild!)).toBe(false);
	});
});

describe('the per-agent concurrency cap', () => {
	/** The most agent processes of the run alive at one moment, from the spawn and exit events. */
	const peakLive = (events: ReturnType<typeof runEvents>) => {
		let live = 0;
		let peak = 0;
		for (const e of events) {
			if (e.type === 'agent.spawned') peak = Math.max(peak, ++live);
			if (e.type === 'agent.exited') live--;
		}
		return peak;
	};
	const batch = (config: Record<string, unknown>) =>
		makeRepo({tickets: ['A', 'B', 'C', 'D'].map(id => ({id})), config: {concurrency: 4, ...config}, plan: {_sleepMs: 1500}});

	it('agentCaps {"command": 2} keeps two command agents at most while concurrency allows four; the others wait and all finish', async () => {
		const capped = batch({agentCaps: {command: 2}});
		const result = await runCli(capped.root, ['run', '--headless'], {FAKE_AGENT_PLAN: capped.plan});
		expect(result.exitCode).toBe(0);
		const events = runEvents(capped.root);
		expect(peakLive(events)).toBe(2);
		expect(events.filter(e => e.type === 'agent.waiting')).toEqual([
			expect.objectContaining({agent: 'command', role: 'worker', cap: 2}),
			expect.objectContaining({agent: 'command', role: 'worker', cap: 2}),
		]);
		// Waiting spent nothing: one attempt each.
		expect(events.filter(e => e.type === 'attempt.started')).toHaveLength(4);

		// The same batch without the cap really runs more at once (the measure above can see a breach).
		const free = batch({});
		expect((await runCli(free.root, ['run', '--headless'], {FAKE_AGENT_PLAN: free.plan})).exitCode).toBe(0);
		expect(peakLive(runEvents(free.root))).toBeGreaterThan(2);
	});

	// An unknown agent type in agentCaps is a config error: test/unit/core/config.test.ts.
});
