import {existsSync, readFileSync} from 'node:fs';
import path from 'node:path';
import {describe, expect, it} from 'vitest';
import {listRuns} from '../../source/core/run-dir.js';
import {makeRepo, runCli, runEvents} from '../helpers/repo.js';

// Unsandboxed, an agent is the same user as the person and can read the human
// channel's key: the engine asks the kernel who is on the other end of the
// connection and refuses a process of the run's attempts, whatever key it holds.

const AGENT = path.resolve('test/fixtures/agents/human-peer-agent.mjs');
const sleep = (ms: number) => new Promise(resolve => setTimeout(resolve, ms));

describe('the human channel, unsandboxed, knows a person from an agent', () => {
	it(
		'refuses an agent that runs `env -i ... proofloop gate` and one that reads the key and speaks the protocol; logged, reported, the run ends on its merits',
		{timeout: 180_000},
		async () => {
			const {root, io} = makeRepo({
				tickets: [{id: 'A'}, {id: 'B'}, {id: 'C'}],
				config: {
					sandbox: 'none',
					attempts: 1,
					concurrency: 3,
					selfHeal: {max: 0},
					agent: {type: 'command', command: `node ${AGENT} {ticket}`},
					checks: ['test -e work/done.txt'],
				},
			});
			const out = path.join(io, 'probes.jsonl');
			const result = await runCli(root, ['run', '--headless'], {FAKE_AGENT_OUT: out});
			// An agent killed because its gate went through records nothing: no line is a failure too.
			const said = (existsSync(out) ? readFileSync(out, 'utf8') : '')
				.trim()
				.split('\n')
				.filter(Boolean)
				.map(
					line =>
						JSON.parse(line) as {ticket: string; mode: string; exit?: number; out?: string; replies?: Array<{type: string; id?: string; message?: string}>},
				);
			const cli = said.find(s => s.ticket === 'A' && s.mode === 'cli');
			expect(cli?.exit, JSON.stringify(cli)).not.toBe(0);
			expect(cli?.out).toMatch(/refused: the sender is a process of this run's agents or checks/);
			const protocol = said.find(s => s.ticket === 'B' && s.mode === 'protocol');
			// The stolen key opens the channel; nothing it asks for is done.
			expect(protocol?.replies?.find(r => r.id === 'k')).toMatchObject({type: 'ok'});
			for (const id of ['g', 'p', 'r'])
				expect(
					protocol?.replies?.find(r => r.id === id),
					JSON.stringify(protocol),
				).toMatchObject({type: 'error', message: expect.stringMatching(/refused: the sender is a process of this run's/)});

			const events = runEvents(root);
			// An orphan with no marker and no engine ancestry is told by its cgroup (or pid namespace); plain process groups cannot tell it.
			const started = events.find(e => e.type === 'run.started');
			if (started?.type === 'run.started' && /^(cgroup|pidns)/.test(started.containment ?? '')) {
				const orphan = said.find(s => s.ticket === 'C' && s.mode === 'orphan');
				expect(orphan?.exit, JSON.stringify(orphan)).not.toBe(0);
				expect(orphan?.out).toMatch(/refused: the sender is a process of this run's agents or checks/);
			} else console.warn(`human-peer test: containment ${started?.type === 'run.started' ? started.containment : '?'}, the orphan case is not asserted`);
			expect(events.filter(e => e.type === 'intervention')).toEqual([]);
			const tampers = events.flatMap(e => (e.type === 'tamper.refused' && e.channel === 'human' ? [e] : []));
			expect(tampers).toEqual(
				expect.arrayContaining([
					expect.objectContaining({verb: 'gate', ticket: 'A', detail: expect.stringMatching(/sent by a process of this run's attempts/)}),
					expect.objectContaining({verb: 'gate', ticket: 'B'}),
					expect.objectContaining({verb: 'pause', ticket: 'B'}),
				]),
			);
			// On its merits: no work, so not done.
			expect(result.exitCode).toBe(1);
			expect(events.find(e => e.type === 'run.stopped' && e.oracleExit === 0)).toBeUndefined();
			const oracle = await runCli(root, ['oracle']);
			expect(oracle.exitCode).not.toBe(0);
			expect(result.stdout).toMatch(/TAMPER refused: A .*`gate` on the human channel/);
			expect(events.filter(e => e.type === 'ticket.done')).toEqual([]);
			const run = listRuns(root)[0]!;
			expect(readFileSync(path.join(run.dir, 'stop-report.md'), 'utf8')).toMatch(/TAMPER refused: B attempt 1 sent `gate` on the human channel/);
		},
	);

	it("still serves the person: proofloop pause, status and gate from the user's shell act on an unsandboxed run", {timeout: 180_000}, async () => {
		const {root, plan} = makeRepo({tickets: [{id: 'A'}, {id: 'B'}], config: {sandbox: 'none', concurrency: 1}, plan: {_sleepMs: 1500}});
		const env = {FAKE_AGENT_PLAN: plan};
		expect((await runCli(root, ['run', '--detach', '--unsandboxed'], env)).exitCode).toBe(0);
		const pause = await runCli(root, ['pause'], env);
		expect(pause.exitCode, pause.stderr).toBe(0);
		const gate = await runCli(root, ['gate', 'B', '--reason', 'a person takes it'], env);
		expect(gate.exitCode, gate.stderr).toBe(0);
		expect((await runCli(root, ['resume'], env)).exitCode).toBe(0);
		for (let i = 0; i < 600 && !runEvents(root).some(e => e.type === 'run.stopped'); i++) await sleep(100);
		const events = runEvents(root);
		expect(events.filter(e => e.type === 'intervention').map(e => (e.type === 'intervention' ? e.kind : ''))).toEqual(
			expect.arrayContaining(['pause', 'gate', 'resume']),
		);
		expect(events.filter(e => e.type === 'tamper.refused')).toEqual([]);
	});
});
