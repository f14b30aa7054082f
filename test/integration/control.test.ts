import {readFileSync} from 'node:fs';
import path from 'node:path';
import {describe, expect, it} from 'vitest';
import {ControlClient, findEngine} from '../../source/core/control-client.js';
import {makeRepo, runCli, runEvents} from '../helpers/repo.js';

const sleep = (ms: number) => new Promise(resolve => setTimeout(resolve, ms));

async function waitFor<T>(probe: () => T | undefined | false, timeoutMs = 30_000): Promise<T> {
	const until = Date.now() + timeoutMs;
	for (;;) {
		const value = probe();
		if (value) return value;
		if (Date.now() > until) throw new Error('timed out waiting');
		await sleep(50);
	}
}

describe('the engine as a daemon, driven over its control channel', () => {
	it('a ticket gated while it waits for an agent slot never starts its agent', async () => {
		const {root, plan} = makeRepo({tickets: [{id: 'A'}, {id: 'B'}], config: {concurrency: 2, agentCaps: {command: 1}}, plan: {_sleepMs: 2500}});
		const env = {FAKE_AGENT_PLAN: plan};
		expect((await runCli(root, ['run', '--detach'], env)).exitCode).toBe(0);
		const waiting = await waitFor(() => runEvents(root).find(e => e.type === 'agent.waiting'));
		const gated = waiting.type === 'agent.waiting' ? waiting.ticket : '';
		expect((await runCli(root, ['gate', gated, '--reason', 'a human takes it'], env)).exitCode).toBe(0);
		await waitFor(() => runEvents(root).find(e => e.type === 'run.stopped'), 60_000);
		const events = runEvents(root);
		expect(events.filter(e => e.type === 'agent.spawned' && e.ticket === gated)).toHaveLength(0);
		expect(events.find(e => e.type === 'attempt.interrupted' && e.ticket === gated)).toMatchObject({
			reason: expect.stringMatching(/gated the ticket while it waited for an agent slot/),
		});
		expect(events.find(e => e.type === 'run.stopped')).toMatchObject({oracleExit: 0});
	});

	it('detaches, reports status, pauses without new dispatch, resumes, gates, refuses bad messages and a second engine, and finishes at oracle 0', async () => {
		const {root, plan} = makeRepo({
			tickets: [{id: 'A'}, {id: 'B'}, {id: 'C'}, {id: 'D'}, {id: 'E'}],
			config: {concurrency: 1},
			plan: {_sleepMs: 1200},
		});
		const env = {FAKE_AGENT_PLAN: plan};
		const started = await runCli(root, ['run', '--detach'], env);
		expect(started.stderr).toBe('');
		expect(started.exitCode).toBe(0);
		expect(started.stdout).toMatch(/proofloop attach/);
		// Pause at once: the running attempt finishes, nothing new starts.
		const pause = await runCli(root, ['pause'], env);
		expect(pause.exitCode).toBe(0);

		const status = await runCli(root, ['status', '--json'], env);
		expect(status.exitCode).toBe(0);
		expect(JSON.parse(status.stdout)).toMatchObject({engine: 'running', batch: 'b', paused: true});

		// A second engine for the same repo is refused, naming the attach command.
		const second = await runCli(root, ['run', '--headless'], env);
		expect(second.exitCode).toBe(2);
		expect(second.stderr).toMatch(/proofloop attach/);

		// A malformed message gets an error reply and changes nothing.
		const found = findEngine(root);
		if (!found.ok) throw new Error(found.message);
		const client = await ControlClient.connectHuman(found.address.socket);
		const reply = await client.request({type: 'gate', ticket: 'A', reason: ''} as never);
		expect(reply).toMatchObject({type: 'error', message: expect.stringMatching(/reason/)});
		const raw = new Promise<string>(resolve => {
			const socket = (client as unknown as {socket: import('node:net').Socket}).socket;
			socket.once('data', chunk => resolve(String(chunk)));
		});
		client.sendRaw('{"type":"mark-done","ticket":"A"}');
		expect(await raw).toMatch(/"type":"error"/);
		expect((await client.status()).paused).toBe(true);

		const settledWhilePaused = await waitFor(() => {
			const events = runEvents(root);
			const pausedAt = events.findIndex(e => e.type === 'intervention' && e.kind === 'pause');
			return events.slice(pausedAt).find(e => e.type === 'ticket.done' || e.type === 'attempt.failed');
		});
		expect(settledWhilePaused).toBeDefined();
		await sleep(1500);
		const events = runEvents(root);
		const pausedAt = events.findIndex(e => e.type === 'intervention' && e.kind === 'pause');
		const startedAfterPause = events.slice(pausedAt).filter(e => e.type === 'attempt.started');
		expect(startedAfterPause).toHaveLength(0);
		expect(JSON.parse((await runCli(root, ['status', '--json'], env)).stdout)).toMatchObject({paused: true, running: []});

		// Gate one ticket while paused, then resume.
		const gate = await runCli(root, ['gate', 'D', '--reason', 'needs a human login'], env);
		expect(gate.exitCode).toBe(0);
		expect(readFileSync(path.join(root, '.proofloop/tickets/D.md'), 'utf8')).toMatch(/status: human_gated/);
		// Ungate takes it back (its own intervention); gate again for the rest of the run.
		expect((await runCli(root, ['ungate', 'D'], env)).exitCode).toBe(0);
		expect(readFileSync(path.join(root, '.proofloop/tickets/D.md'), 'utf8')).toMatch(/status: todo/);
		expect((await runCli(root, ['gate', 'D', '--reason', 'needs a human login'], env)).exitCode).toBe(0);
		expect((await runCli(root, ['resume'], env)).exitCode).toBe(0);
		client.close();

		// A plain attach follows to the end and exits with the oracle's code.
		const attached = await runCli(root, ['attach'], env);
		expect(attached.exitCode).toBe(0);
		expect(attached.stdout).toMatch(/oracle: exit 0/);
		await waitFor(() => !findEngine(root).ok);

		const final = runEvents(root);
		expect(final.filter(e => e.type === 'intervention').map(e => (e.type === 'intervention' ? e.kind : ''))).toEqual([
			'pause',
			'gate',
			'ungate',
			'gate',
			'resume',
		]);
		expect(final.some(e => e.type === 'attempt.started' && e.ticket === 'D')).toBe(false);
		const oracle = await runCli(root, ['oracle', '--json']);
		expect(oracle.exitCode).toBe(0);
		expect(JSON.parse(oracle.stdout).tickets.find((t: {id: string}) => t.id === 'D')).toMatchObject({status: 'human_gated', passing: true});
		const after = await runCli(root, ['status', '--json'], env);
		// Gate and ungate are a person's work on tickets (interventions); pause and resume only steer the run (controls).
		expect(JSON.parse(after.stdout)).toMatchObject({engine: 'not running', interventions: 3});
		const report = JSON.parse((await runCli(root, ['report', '--json'], env)).stdout);
		expect(report).toMatchObject({interventions: 3, interventionsByKind: {gate: 2, ungate: 1}, controls: 2, controlsByKind: {pause: 1, resume: 1}});
		const markdown = readFileSync(path.join(root, '.proofloop/runs', report.runId, 'report.md'), 'utf8');
		expect(markdown).toMatch(/interventions \(a person's work on tickets\): 3 \(gate 2, ungate 1\)/);
		expect(markdown).toMatch(/controls \(pause, resume, stop, restart\): 2 \(pause 1, resume 1\)/);
	});
});
