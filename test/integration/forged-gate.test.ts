import {spawn} from 'node:child_process';
import {readFileSync} from 'node:fs';
import path from 'node:path';
import {execa} from 'execa';
import {describe, expect, it} from 'vitest';
import type {EngineEvent} from '../../source/core/events.js';
import {makeRepo, runCli, runEvents} from '../helpers/repo.js';

// A ticket file that says human_gated is text anyone can write; a gate counts
// only when a person's `proofloop gate` recorded it in the ledger.

const TAMPER_AGENT = path.resolve('test/fixtures/agents/tamper-agent.mjs');
const ticketFile = (root: string, id: string) => path.join(root, '.proofloop', 'tickets', `${id}.md`);
const finalVerdict = (events: EngineEvent[]) =>
	events.findLast((e): e is Extract<EngineEvent, {type: 'oracle.verdict'}> => e.type === 'oracle.verdict' && e.final);

// What an orphan that left the run's process group and environment does after the run: "gate" a ticket by writing its file.
const FORGE = `const fs = require('node:fs'); const [file] = process.argv.slice(1);
const text = fs.readFileSync(file, 'utf8').replace(/^gate: .*\\n/m, '');
fs.writeFileSync(file, text.replace(/^status: .*$/m, 'status: human_gated\\ngate: {by: human, at: "2026-01-01T00:00:00Z", reason: "a person took it"}'));`;
function orphanGates(file: string): Promise<number | null> {
	return new Promise(resolve => {
		const child = spawn('setsid', ['env', '-i', `PATH=${process.env['PATH'] ?? ''}`, process.execPath, '-e', FORGE, file], {stdio: 'ignore'});
		child.on('exit', code => resolve(code));
	});
}

async function until(probe: () => boolean, timeoutMs = 90_000): Promise<void> {
	const end = Date.now() + timeoutMs;
	while (!probe()) {
		if (Date.now() > end) throw new Error('timed out waiting');
		await new Promise(resolve => setTimeout(resolve, 100));
	}
}

describe('a human gate is evidence only a person makes', () => {
	it(
		"an unsandboxed agent that writes human_gated into another ticket's file, and an orphan that does it after the run, are not counted; a person's gate is, and an ungate takes it back",
		{timeout: 240_000},
		async () => {
			const {root, plan} = makeRepo({
				tickets: [{id: 'A'}, {id: 'B'}],
				config: {sandbox: 'none', attempts: 1, concurrency: 2, selfHeal: {max: 0}, agent: {type: 'command', command: `node ${TAMPER_AGENT}`}},
			});
			const run = await runCli(root, ['run', '--headless'], {
				FAKE_AGENT_PLAN: plan,
				FAKE_TAMPER_A: 'gate-other',
				FAKE_GATE_TARGET: 'B',
				FAKE_TAMPER_B: 'fail',
				FAKE_SLEEP_MS_B: '4000',
			});
			// The forgery really happened during the run (the engine put B back, or its own write dropped the gate).
			const warnings = runEvents(root).flatMap(e => (e.type === 'warning' && e.ticket === 'B' ? [e.message] : []));
			expect(
				warnings.some(message => /human_gated|gate/.test(message)),
				warnings.join('\n'),
			).toBe(true);
			const verdict = finalVerdict(runEvents(root));
			expect(verdict?.exit, run.stdout + run.stderr).toBe(1);
			expect(verdict?.holding.map(t => t.id)).toEqual(['B']);

			// After the run, a process outside the run's group and environment "gates" B in its file.
			expect(await orphanGates(ticketFile(root, 'B'))).toBe(0);
			expect(readFileSync(ticketFile(root, 'B'), 'utf8')).toMatch(/^status: human_gated$/m);
			const forged = await runCli(root, ['oracle']);
			expect(forged.exitCode, forged.stdout + forged.stderr).toBe(1);
			expect(forged.stdout).toMatch(/B +says human_gated but the ledger has no gate for it .*proofloop gate B --reason/);

			// A person's gate (no engine running) on the ticket that already says human_gated records it: now it counts.
			const gate = await runCli(root, ['gate', 'B', '--reason', 'needs a human login']);
			expect(gate.exitCode, gate.stderr).toBe(0);
			expect(gate.stdout).toMatch(/B gated/);
			const gates = (await execa('git', ['show', 'refs/heads/proofloop-ledger:gates.jsonl'], {cwd: root})).stdout
				.trim()
				.split('\n')
				.map(line => JSON.parse(line) as Record<string, string>);
			expect(gates).toEqual([expect.objectContaining({kind: 'gate', ticket: 'B', reason: 'needs a human login'})]);
			const counted = await runCli(root, ['oracle']);
			expect(counted.exitCode, counted.stdout + counted.stderr).toBe(0);
			expect((await runCli(root, ['gate', 'B', '--reason', 'again'])).stdout).toMatch(/B is already human-gated/);

			// Ungate takes it back; a file written back to human_gated afterwards is not counted.
			expect((await runCli(root, ['ungate', 'B'])).exitCode).toBe(0);
			expect(await orphanGates(ticketFile(root, 'B'))).toBe(0);
			const ungated = await runCli(root, ['oracle']);
			expect(ungated.exitCode).toBe(1);
			expect(ungated.stdout).toMatch(/B +says human_gated but the ledger's latest record for it is an ungate/);

			// The next run does not take the forged gate either: it ends on B's merits, never on its file's word.
			const next = await runCli(root, ['run', '--headless'], {FAKE_AGENT_PLAN: plan, FAKE_TAMPER_B: 'fail'});
			expect(next.exitCode).toBe(1);
			expect(next.stdout).toMatch(/B +human_gated: says human_gated but the ledger's latest record for it is an ungate/);
		},
	);

	it(
		'through a live engine, gating a ticket whose file already says human_gated (a gate from before the rule) records it, and it counts',
		{timeout: 240_000},
		async () => {
			const {root, plan} = makeRepo({
				tickets: [{id: 'A'}, {id: 'B'}],
				config: {sandbox: 'none', attempts: 1, concurrency: 1, agent: {type: 'command', command: `node ${TAMPER_AGENT}`}},
			});
			expect(await orphanGates(ticketFile(root, 'B'))).toBe(0);
			const env = {FAKE_AGENT_PLAN: plan, FAKE_TAMPER_A: 'ok', FAKE_SLEEP_MS_A: '5000'};
			expect((await runCli(root, ['run', '--detach'], env)).exitCode).toBe(0);
			await until(() => runEvents(root).some(e => e.type === 'agent.spawned' && e.ticket === 'A'));
			const gate = await runCli(root, ['gate', 'B', '--reason', 're-recorded'], env);
			expect(gate.exitCode, gate.stderr).toBe(0);
			expect(gate.stdout).toMatch(/^B gated/);
			await until(() => runEvents(root).some(e => e.type === 'run.stopped'));
			expect(finalVerdict(runEvents(root))?.exit).toBe(0);
			const gates = (await execa('git', ['show', 'refs/heads/proofloop-ledger:gates.jsonl'], {cwd: root})).stdout.trim().split('\n');
			expect(gates.map(line => JSON.parse(line) as Record<string, string>)).toEqual([
				expect.objectContaining({kind: 'gate', ticket: 'B', reason: 're-recorded'}),
			]);
			expect(runEvents(root).some(e => e.type === 'run.halted')).toBe(false);
		},
	);
});
