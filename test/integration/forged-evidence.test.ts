import {spawn} from 'node:child_process';
import {readFileSync, writeFileSync} from 'node:fs';
import path from 'node:path';
import {execa} from 'execa';
import {describe, expect, it} from 'vitest';
import type {EngineEvent} from '../../source/core/events.js';
import {listRuns} from '../../source/core/run-dir.js';
import {makeRepo, runCli, runEvents} from '../helpers/repo.js';

const FORGER = path.resolve('test/fixtures/agents/forge-evidence.mjs');

// A process that left the run's process group and environment, as an orphan would.
function orphan(args: string[], out: string): Promise<number | null> {
	return new Promise(resolve => {
		const child = spawn('setsid', ['env', '-i', `PATH=${process.env['PATH'] ?? ''}`, `FAKE_FORGE_OUT=${out}`, process.execPath, FORGER, ...args], {
			stdio: 'ignore',
		});
		child.on('exit', code => resolve(code));
	});
}

const finalVerdict = (events: EngineEvent[]) =>
	events.findLast((e): e is Extract<EngineEvent, {type: 'oracle.verdict'}> => e.type === 'oracle.verdict' && e.final);

describe("done's evidence is what the merge queue recorded, not a trailer anyone can write", () => {
	it('an unsandboxed agent that forges a trailered merge on base and rewrites its ticket to done is not counted; nor is a forger after the run', async () => {
		// T-2 after T-1 is merged (a slot frees at an agent's exit: without the dep T-2's forgery would move base under T-1's merge).
		const {root, plan, io} = makeRepo({
			tickets: [{id: 'T-1'}, {id: 'T-2', deps: ['T-1']}],
			config: {sandbox: 'none', attempts: 1, concurrency: 1, agent: {type: 'command', command: `node ${FORGER} {ticket} {attempt}`}},
			plan: {'T-2': 'forge'},
		});
		const forgeries = path.join(io, 'forged.txt');
		await runCli(root, ['run', '--headless'], {FAKE_AGENT_PLAN: plan, FAKE_FORGE_OUT: forgeries});

		// The forgery really happened: a commit with T-2's trailer on main.
		const [, forged = ''] = readFileSync(forgeries, 'utf8').trim().split(' ');
		expect(forged).toMatch(/^[0-9a-f]{40}$/);
		const verdict = finalVerdict(runEvents(root));
		expect(verdict?.exit).not.toBe(0);
		const held = verdict?.holding.find(t => t.id === 'T-2');
		expect(held, JSON.stringify(verdict)).toBeDefined();
		// Whether the engine put the status back first or not, a forged done is never counted.
		if (held?.status === 'done') expect(held.reason).toContain(`merge ${forged.slice(0, 7)} is not in the merge queue's record`);

		// T-1's merge is in the ledger, on its branch, one line.
		const ledger = (await execa('git', ['show', 'refs/heads/proofloop-ledger:merges.jsonl'], {cwd: root})).stdout.trim().split('\n');
		expect(ledger.map(line => (JSON.parse(line) as {ticket: string}).ticket)).toEqual(['T-1']);

		// After the run: a process outside the run's group and environment forges again.
		expect(await orphan(['--forge', root, 'T-2'], forgeries)).toBe(0);
		expect(readFileSync(path.join(root, '.proofloop', 'tickets', 'T-2.md'), 'utf8')).toMatch(/status: done/);
		const again = readFileSync(forgeries, 'utf8').trim().split('\n').at(-1)?.split(' ')[1] ?? '';
		const oracle = await runCli(root, ['oracle']);
		expect(oracle.exitCode, oracle.stdout + oracle.stderr).toBe(1);
		expect(oracle.stdout).toMatch(new RegExp(`T-2 +merge ${again.slice(0, 7)} is not in the merge queue's record`));
		expect(oracle.stdout).not.toMatch(/T-1 /);
	});

	it("the engine's write of a ticket never keeps evidence keys an agent planted in the file: dropped, and said as TAMPER", async () => {
		const {root, plan} = makeRepo({
			tickets: [{id: 'T-1'}],
			config: {sandbox: 'none', attempts: 1, agent: {type: 'command', command: `node ${FORGER} {ticket} {attempt}`}},
			plan: {'T-1': 'plant'},
		});
		await runCli(root, ['run', '--headless'], {FAKE_AGENT_PLAN: plan});
		const text = readFileSync(path.join(root, '.proofloop', 'tickets', 'T-1.md'), 'utf8');
		expect(text).toMatch(/^status: failed$/m);
		expect(text).toMatch(/^failure: /m);
		for (const key of ['merge_commit', 'verify_digest', 'done_at', 'gate', 'block']) expect(text, text).not.toMatch(new RegExp(`^${key}:`, 'm'));
		const warnings = runEvents(root).flatMap(e => (e.type === 'warning' && e.ticket === 'T-1' ? [e.message] : []));
		expect(
			warnings.some(message => /^TAMPER: T-1's ticket file holds .*merge_commit/.test(message)),
			warnings.join('\n'),
		).toBe(true);
	});

	it("an agent that also forges the merge queue's ledger is said out loud as TAMPER (unsandboxed it can write any ref: detected, not prevented)", async () => {
		const {root, plan} = makeRepo({
			tickets: [{id: 'T-1'}, {id: 'T-2', deps: ['T-1']}],
			config: {sandbox: 'none', attempts: 1, concurrency: 1, agent: {type: 'command', command: `node ${FORGER} {ticket} {attempt}`}},
			plan: {'T-2': 'forge-ledger'},
		});
		const result = await runCli(root, ['run', '--headless'], {FAKE_AGENT_PLAN: plan});
		const warnings = runEvents(root).flatMap(e => (e.type === 'warning' ? [e.message] : []));
		expect(
			warnings.some(message => message.startsWith('TAMPER: refs/heads/proofloop-ledger is at')),
			warnings.join('\n'),
		).toBe(true);
		expect(result.stdout + result.stderr).toContain('TAMPER: refs/heads/proofloop-ledger');
	});
});

describe('a crash between the ledger and the ticket file is finished on resume, never twice', () => {
	// The state a kill leaves: ticket.done logged (intent first), the ledger written or not, the file still `merged`.
	async function cutAfterDone(ledger: 'kept' | 'lost') {
		const {root, plan} = makeRepo({tickets: [{id: 'T-1'}], config: {sandbox: 'none'}});
		const first = await runCli(root, ['run', '--headless'], {FAKE_AGENT_PLAN: plan});
		expect(first.exitCode, first.stdout + first.stderr).toBe(0);
		const events = listRuns(root)[0]!.eventsFile;
		const lines = readFileSync(events, 'utf8').split('\n').filter(Boolean);
		const done = lines.findIndex(line => (JSON.parse(line) as EngineEvent).type === 'ticket.done');
		writeFileSync(events, lines.slice(0, done + 1).join('\n') + '\n');
		const ticket = path.join(root, '.proofloop', 'tickets', 'T-1.md');
		writeFileSync(
			ticket,
			readFileSync(ticket, 'utf8')
				.replace(/^status: done$/m, 'status: merged')
				.replace(/^(verify_digest|done_at): .*\n/gm, ''),
		);
		if (ledger === 'lost') await execa('git', ['update-ref', '-d', 'refs/heads/proofloop-ledger'], {cwd: root});
		expect((await runCli(root, ['oracle'])).exitCode).toBe(1);
		const resumed = await runCli(root, ['run', '--headless'], {FAKE_AGENT_PLAN: plan});
		expect(resumed.exitCode, resumed.stdout + resumed.stderr).toBe(0);
		expect(readFileSync(ticket, 'utf8')).toMatch(/^status: done$/m);
		const records = (await execa('git', ['show', 'refs/heads/proofloop-ledger:merges.jsonl'], {cwd: root})).stdout.trim().split('\n');
		expect(records).toHaveLength(1);
		expect((await runCli(root, ['oracle'])).exitCode).toBe(0);
	}

	it('the ledger was written before the kill: the resume writes done and no second record', () => cutAfterDone('kept'));
	it('the kill came before the ledger: the resume records it once, then writes done', () => cutAfterDone('lost'));
});
