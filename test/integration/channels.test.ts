import {existsSync, mkdirSync, readFileSync} from 'node:fs';
import path from 'node:path';
import {describe, expect, it} from 'vitest';
import {probeBwrap} from '../../source/agents/sandbox.js';
import type {EngineEvent} from '../../source/core/events.js';
import {listRuns} from '../../source/core/run-dir.js';
import {makeRepo, runCli, runEvents} from '../helpers/repo.js';

// Hostile agents that go after the human verbs (pause, resume, gate, ungate,
// stop) through every channel they can reach (test/fixtures/agents/channel-tamper-agent.mjs).

type Reply = {type: string; id?: string; message?: string};
type Probe = {
	ticket: string;
	attempt: number;
	probe: string;
	connected?: boolean;
	replies?: Reply[];
	error?: string;
	human?: boolean;
	readable?: boolean;
	key?: string;
	exit?: number;
	out?: string;
	env?: Record<string, string>;
};

const probe = probeBwrap();

async function tamperRun(sandbox: 'auto' | 'none', extraEnv: Record<string, string> = {}) {
	// B waits on A: it starts after A's attempt (and A's worker channel) is over.
	// The check runs whatever check scripts the agents left (FAKE_TAMPER_CHECK), outside their boxes.
	const {root, plan, io} = makeRepo({
		tickets: [{id: 'A'}, {id: 'B', deps: ['A']}],
		config: {sandbox, attempts: 1, concurrency: 2, checks: ['for f in work/*-check.mjs; do [ -e "$f" ] && node "$f"; done; test -e README.md']},
		plan: {A: 'channel-tamper', B: 'channel-tamper', _sleepMs: 0},
	});
	const out = path.join(io, 'probes.jsonl');
	// The engine's channels go under this test's own temp root, which is all the agent searches besides its run.
	const tmp = path.join(io, 'tmp');
	mkdirSync(tmp);
	const result = await runCli(root, ['run', '--headless'], {
		TMPDIR: tmp,
		XDG_RUNTIME_DIR: '',
		FAKE_TAMPER_TMP: tmp,
		FAKE_AGENT_PLAN: plan,
		FAKE_AGENT_OUT: out,
		FAKE_TAMPER_STALE: path.join(io, 'stale-socket'),
		...extraEnv,
	});
	const said = readFileSync(out, 'utf8')
		.trim()
		.split('\n')
		.map(line => JSON.parse(line) as Probe);
	const of = (ticket: string, name: string) => said.filter(p => p.ticket === ticket && p.probe === name);
	return {root, result, said, of, events: runEvents(root), run: listRuns(root)[0]!};
}

const HUMAN_VERBS = ['pause', 'resume', 'gate', 'ungate', 'stop', 'retry', 'reset'];

/** Every human verb sent on a worker channel got a refusal saying it is a human's verb, and nothing was acted on. */
function expectWorkerChannelRefusals(worker: Probe | undefined) {
	expect(worker?.connected).toBe(true);
	const replies = worker?.replies ?? [];
	expect(replies.map(r => r.id).sort()).toEqual(['gate-other', 'gate-own', 'pause', 'reset', 'resume', 'retry', 'stop', 'ungate']);
	for (const reply of replies)
		expect(reply, JSON.stringify(reply)).toMatchObject({
			type: 'error',
			message: expect.stringMatching(/^refused: this is the worker channel of [AB] attempt 1.*Logged as a tamper attempt/),
		});
	for (const id of ['pause', 'resume', 'gate-own', 'gate-other', 'ungate', 'stop', 'retry', 'reset'])
		expect(replies.find(r => r.id === id)?.message).toMatch(/is a human's verb, served only on the human channel/);
}

function expectTampersLogged(events: EngineEvent[], ticket: string) {
	const tampers = events.flatMap(e => (e.type === 'tamper.refused' && e.ticket === ticket ? [e] : []));
	for (const verb of HUMAN_VERBS)
		expect(
			tampers.some(t => t.verb === verb && t.attempt === 1 && t.channel === 'worker'),
			`${ticket} ${verb}`,
		).toBe(true);
}

describe.skipIf(!probe.ok)('a sandboxed agent cannot reach a human verb', () => {
	it("over its worker channel and over everything else it can find, every pause, resume, gate, ungate and stop is refused, logged and reported; the run ends on the tickets' own work", async () => {
		const {root, result, of, events, run} = await tamperRun('auto', {FAKE_TAMPER_CLI_STRIPPED: '1', FAKE_TAMPER_CHECK: '1'});
		expect(events.find(e => e.type === 'run.started')).toMatchObject({sandbox: 'bwrap'});
		for (const ticket of ['A', 'B']) {
			expectWorkerChannelRefusals(of(ticket, 'worker-channel')[0]);
			expectTampersLogged(events, ticket);
			// A replayed human session (auth, then a gate claiming another user) is refused too.
			expect(of(ticket, 'replay')[0]?.replies?.every(r => r.type === 'error')).toBe(true);
			// Not in another ticket's name either: the channel says whose ticket it is.
			expect(of(ticket, 'impersonate')[0]?.replies?.map(r => r.message)).toEqual([expect.stringMatching(/from/), expect.stringMatching(/from/)]);
			// Garbage and a 3 MB frame: answered or dropped, and the channel still works after.
			expect(of(ticket, 'garbled')[0]?.replies?.length).toBeGreaterThan(0);
			expect(of(ticket, 'after-huge')[0]?.replies).toEqual([expect.objectContaining({type: 'ok', id: 'alive'})]);
			// 200 connections at once sending `stop`: none acted, the log holds at most 20 refusals of this attempt, and it is answered after.
			expect(of(ticket, 'flood')[0]).toMatchObject({ok: 0});
			expect(of(ticket, 'after-flood')[0]?.replies).toEqual([expect.objectContaining({type: 'ok', id: 'alive'})]);
			expect(events.filter(e => e.type === 'tamper.refused' && e.ticket === ticket).length).toBeLessThanOrEqual(20);
			// The key is nowhere it can read; no other socket it found answers a human verb.
			for (const key of of(ticket, 'key-file')) expect(key.readable, key.error).toBe(false);
			for (const found of of(ticket, 'found-socket'))
				expect(!found.connected || (found.replies ?? []).every(r => r.type === 'error'), JSON.stringify(found)).toBe(true);
			expect(of(ticket, 'found-socket').some(f => f.human && f.connected)).toBe(false);
			// The human CLI on its PATH goes to its worker channel and is refused; stripped of it, it finds no key.
			expect(of(ticket, 'cli-gate')[0]).toMatchObject({exit: 2, out: expect.stringMatching(/human's verb/)});
			expect(of(ticket, 'cli-pause')[0]).toMatchObject({exit: 2});
			expect(of(ticket, 'cli-stripped-gate')[0]?.exit).not.toBe(0);
		}
		// Its code run by the checks, outside its box, finds no key and no human channel either.
		for (const ticket of ['A', 'B']) {
			const fromCheck = of(ticket, 'from-check');
			expect(fromCheck.length, JSON.stringify(fromCheck)).toBeGreaterThan(0);
			expect(
				fromCheck.some(p => p.connected),
				JSON.stringify(fromCheck),
			).toBe(false);
			expect(fromCheck.find(p => (p as {stage?: string}).stage === 'key')?.error).toBe('ENOENT');
		}
		// B tried A's worker channel after A's attempt was over: gone.
		expect(of('B', 'stale')[0]).toMatchObject({connected: false});
		expect(events.some(e => e.type === 'ticket.note' && e.ticket === 'A' && /still answered/.test(e.text))).toBe(true);

		// Nothing acted: no intervention, both tickets done by their work, the oracle says 0.
		expect(events.filter(e => e.type === 'intervention')).toEqual([]);
		expect(result.exitCode).toBe(0);
		expect(existsSync(path.join(run.dir, 'stop-report.md'))).toBe(false);
		for (const id of ['A', 'B']) expect(readFileSync(path.join(root, '.proofloop/tickets', `${id}.md`), 'utf8')).toMatch(/status: done/);
		expect(result.stdout).toMatch(/TAMPER refused: A attempt 1 sent `gate` on the worker channel/);
		const report = JSON.parse(readFileSync(path.join(run.dir, 'report.json'), 'utf8')) as {tampers: Array<{ticket?: string; verb: string}>};
		expect(report.tampers.filter(t => t.ticket === 'A').map(t => t.verb)).toEqual(expect.arrayContaining(HUMAN_VERBS));
		expect(readFileSync(path.join(run.dir, 'report.md'), 'utf8')).toMatch(
			/## Tamper attempts \(refused, never counted\)\n\n(- .*\n)*- .* A attempt 1: `gate` on the worker channel/,
		);
	});
});

describe('the same agent unsandboxed', () => {
	it('is refused on its worker channel, finds no key in its environment, and without the key is refused on the human channel too', async () => {
		const {result, of, events, run} = await tamperRun('none', {FAKE_TAMPER_USE_KEY: '0'});
		expect(events.find(e => e.type === 'run.started')).toMatchObject({sandbox: 'none'});
		for (const ticket of ['A', 'B']) {
			expectWorkerChannelRefusals(of(ticket, 'worker-channel')[0]);
			expectTampersLogged(events, ticket);
			const env = of(ticket, 'env')[0]?.env ?? {};
			// The same user can read the key file (what only the sandbox prevents), but it is in no variable it was given.
			const keys = of(ticket, 'key-file')
				.filter(k => k.readable)
				.map(k => k.key ?? '');
			expect(keys.length).toBeGreaterThan(0);
			for (const key of keys) {
				expect(key).toMatch(/^[0-9a-f]{64}$/);
				for (const [name, value] of Object.entries(env)) expect(value.includes(key), name).toBe(false);
			}
			// `proofloop gate` as a reviewer or a check would run it (the run's marker, no channel) is refused before it looks for a key.
			expect(of(ticket, 'cli-no-channel-gate')[0]).toMatchObject({
				exit: 2,
				out: expect.stringMatching(/runs inside proofloop run .*for the person who started it/),
			});
			const human = of(ticket, 'found-socket').find(f => f.human);
			expect(human?.connected).toBe(true);
			expect(human?.replies?.[0]).toMatchObject({type: 'error', message: expect.stringMatching(/only after the run's key.*tamper/)});
		}
		expect(events.some(e => e.type === 'tamper.refused' && e.channel === 'human')).toBe(true);
		expect(events.filter(e => e.type === 'intervention')).toEqual([]);
		expect(result.exitCode).toBe(0);
		// Said everywhere: the start line, the verdict line, status, the report.
		expect(result.stdout).toMatch(/UNSANDBOXED run/);
		expect(result.stdout).toMatch(/oracle: exit 0 \(done\) — UNSANDBOXED run:/);
		const status = await runCli(path.dirname(path.dirname(path.dirname(run.dir))), ['status', '--json']);
		expect(JSON.parse(status.stdout)).toMatchObject({sandbox: 'none'});
		expect(readFileSync(path.join(run.dir, 'report.md'), 'utf8')).toMatch(/- sandbox: UNSANDBOXED/);
		expect(existsSync(path.join(run.dir, 'control.json'))).toBe(false);
	});
});

describe('a run that stops short of done', () => {
	it('lists the refused tamper attempts in its stop report', async () => {
		const {root, plan, io} = makeRepo({
			tickets: [{id: 'A'}],
			config: {attempts: 1, checks: ['false'], selfHeal: {max: 0}},
			plan: {A: 'channel-tamper', _sleepMs: 0},
		});
		const result = await runCli(root, ['run', '--headless'], {FAKE_AGENT_PLAN: plan, FAKE_AGENT_OUT: path.join(io, 'probes.jsonl')});
		expect(result.exitCode).toBe(1);
		const stop = readFileSync(path.join(listRuns(root)[0]!.dir, 'stop-report.md'), 'utf8');
		expect(stop).toMatch(/## Tamper attempts \(refused, never counted\)\n\n(- .*\n)*- .*TAMPER refused: A attempt 1 sent `gate` on the worker channel/);
	});
});
