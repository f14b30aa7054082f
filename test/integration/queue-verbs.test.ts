import {existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import path from 'node:path';
import {execFileSync} from 'node:child_process';
import {Job, Queue, QueueEvents} from 'bullmq';
import {Redis} from 'ioredis';
import {execa, type ResultPromise} from 'execa';
import {afterAll, afterEach, beforeAll, describe, expect, it} from 'vitest';
import {CLI, makeRepo, runCli, runEvents, type TicketSpec} from '../helpers/repo.js';
import {redisProbe, startRedis, type RedisServer} from '../helpers/redis-server.js';
import {probeBwrap} from '../../source/agents/sandbox.js';
import {QUEUE_NAME, attemptIdOf} from '../../source/queue/protocol.js';
import {verbJobId, verbQueueName} from '../../source/queue/remote-verbs-protocol.js';
import type {EngineEvent} from '../../source/core/events.js';

// `proofloop ticket` inside a remote attempt: through the queue to the coordinator,
// answered as the local channel answers; forged requests put straight into Redis change nothing.
const UNBOXED = probeBwrap().ok ? [] : ['--unsandboxed'];
const probe = redisProbe('the remote verbs tests');
let redis: RedisServer;
beforeAll(async () => {
	if (probe.ok) redis = await startRedis();
}, 60_000);
afterAll(async () => {
	await redis?.stop();
});

const workers: ResultPromise[] = [];
const closers: (() => Promise<unknown>)[] = [];
afterEach(async () => {
	for (const close of closers.splice(0)) await close().catch(() => {});
	for (const w of workers.splice(0)) {
		w.kill('SIGTERM');
		await w.catch(() => {});
	}
});

const git = (cwd: string, ...args: string[]) => execFileSync('git', args, {cwd, encoding: 'utf8'}).trim();
const records = (file: string) =>
	existsSync(file)
		? readFileSync(file, 'utf8')
				.trim()
				.split('\n')
				.map(line => JSON.parse(line) as Record<string, unknown>)
		: [];

function queuedRepo(tickets: TicketSpec[], db: number, plan: Record<string, unknown>, config: Record<string, unknown> = {}) {
	const top = mkdtempSync(path.join(tmpdir(), 'pl-qverbs-'));
	const remote = path.join(top, 'remote.git');
	git(top, 'init', '-q', '--bare', remote);
	const url = redis.url.replace(/\/\d+$/, `/${db}`);
	const repo = makeRepo({tickets, plan, config: {executor: {kind: 'queue', url, remote}, ...config}});
	return {...repo, remote, top, url, out: `${repo.plan}.out`};
}

function startWorker(opts: {url: string; remote: string; dir: string; plan: string; out: string}): void {
	mkdirSync(opts.dir, {recursive: true});
	workers.push(
		execa(process.execPath, [CLI, 'worker', '--queue', opts.url, '--remote', opts.remote, '--concurrency', '3', ...UNBOXED], {
			cwd: opts.dir,
			reject: false,
			stdin: 'ignore',
			env: {FAKE_AGENT_PLAN: opts.plan, FAKE_AGENT_OUT: opts.out, NO_COLOR: '1'},
		}),
	);
}

async function until<T>(what: string, check: () => T | undefined | false, timeoutMs = 120_000): Promise<T> {
	const deadline = Date.now() + timeoutMs;
	for (;;) {
		const value = check();
		if (value) return value;
		if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
		await new Promise(resolve => setTimeout(resolve, 200));
	}
}

const runIdOf = (root: string) => readdirSync(path.join(root, '.proofloop/runs')).find(name => /^\d/.test(name));
const eventsOf = (root: string): EngineEvent[] => (runIdOf(root) ? runEvents(root) : []);
const tampers = (events: EngineEvent[]) => events.flatMap(e => (e.type === 'tamper.refused' ? [e] : []));

describe.skipIf(!probe.ok)('worker verbs from a remote attempt', () => {
	it('a remote agent notes, files a discovered ticket and claims a wall as a local one does; its human verbs are refused on the worker and logged by the run', async () => {
		const {root, plan, remote, top, url, out} = queuedRepo([{id: 'W'}, {id: 'B'}], 1, {W: 'remote-verbs', B: 'claim-blocked', _sleepMs: 50}, {attempts: 2});
		writeFileSync(`${plan}.go`, '');
		startWorker({url, remote, plan, out, dir: path.join(top, 'worker')});

		const result = await runCli(root, ['run', '--headless'], {FAKE_AGENT_PLAN: plan});
		// B is blocked (an external wall): the run ends 1, as it would with local attempts.
		expect(result.exitCode, result.stdout + result.stderr).toBe(1);
		const said = records(out);
		const w = Object.assign({}, ...said.filter(r => r['ticket'] === 'W')) as Record<string, unknown>;
		expect(w['note']).toMatchObject({exit: 0, out: 'noted for later attempts'});
		expect(w['filed']).toMatchObject({exit: 0, out: expect.stringMatching(/^filed /)});
		// Every human verb refused by the worker, in the local channel's words; the impersonation is no valid message.
		const replies = (said.find(r => r['probe'] === 'human-verbs') as {replies: {id: string; type: string; message: string}[]}).replies;
		expect(replies.map(r => [r.id, r.type])).toEqual([
			['pause', 'error'],
			['gate', 'error'],
			['retry', 'error'],
			['stop', 'error'],
			['impersonate', 'error'],
		]);
		for (const r of replies.slice(0, 4))
			expect(r.message).toMatch(
				/refused: this is the worker channel of W attempt 1; .* is a human's verb, served only on the human channel\. Logged as a tamper attempt\./,
			);
		expect(replies[4]!.message).toMatch(/invalid message/);

		const events = runEvents(root);
		expect(events.some(e => e.type === 'ticket.note' && e.ticket === 'W' && e.text === 'remote note from W' && e.attempt === 1)).toBe(true);
		const filed = events.find(e => e.type === 'ticket.filed');
		expect(filed).toMatchObject({from: 'W'});
		const filedId = (filed as {ticket: string}).ticket;
		expect(readFileSync(path.join(root, '.proofloop/tickets', `${filedId}.md`), 'utf8')).toMatch(/Found by W remotely/);
		// The filed ticket ran and merged like any other.
		expect(events.some(e => e.type === 'ticket.done' && e.ticket === filedId)).toBe(true);
		const report = JSON.parse((await runCli(root, ['report', '--json'])).stdout) as {filedByLoop: string[]};
		expect(report.filedByLoop).toEqual([filedId]);
		// B's blocked claim: challenged on attempt 1, standing on attempt 2, in the ticket file.
		expect(events.filter(e => e.type === 'ticket.blocked').map(e => (e.type === 'ticket.blocked' ? [e.ticket, e.challenged] : []))).toEqual([
			['B', true],
			['B', false],
		]);
		expect(readFileSync(path.join(root, '.proofloop/tickets/B.md'), 'utf8')).toMatch(/block: \{wall: "cloud quota is zero"/);
		// The human verbs are in the run's tamper log, with the ticket and attempt, and none of them happened.
		const logged = tampers(events).filter(e => e.ticket === 'W' && e.attempt === 1);
		// In any order: the run answers its queue four at a time.
		expect(logged.map(e => e.verb).sort()).toEqual(['gate', 'pause', 'retry', 'stop']);
		for (const e of logged) expect(e.detail).toMatch(/a human verb on W's worker channel, refused by worker /);
		expect(events.some(e => e.type === 'intervention')).toBe(false);
	}, 240_000);

	it('forged requests put straight into Redis are refused, logged with the ticket and attempt, and change nothing; a flood from an agent is held to 16 in flight', async () => {
		const {root, plan, remote, top, url, out} = queuedRepo(
			[{id: 'W'}, {id: 'V'}, {id: 'Q'}],
			2,
			{W: 'remote-verbs', V: 'remote-verbs', '_flood:V': true, _sleepMs: 50},
			{concurrency: 3},
		);
		startWorker({url, remote, plan, out, dir: path.join(top, 'worker')});
		const run = runCli(root, ['run', '--headless'], {FAKE_AGENT_PLAN: plan});

		// W and V hold their attempts open; Q's attempt is over (merged).
		await until(
			'W and V waiting and Q done',
			() => existsSync(`${plan}.W.waiting`) && existsSync(`${plan}.V.waiting`) && eventsOf(root).some(e => e.type === 'ticket.done' && e.ticket === 'Q'),
		);
		const runId = runIdOf(root)!;
		const connection = new Redis(url, {maxRetriesPerRequest: null});
		const attempts = new Queue(QUEUE_NAME, {connection});
		const verbs = new Queue(verbQueueName(runId), {connection});
		const events = new QueueEvents(verbQueueName(runId), {connection: connection.duplicate()});
		closers.push(
			() => events.close(),
			() => verbs.close(),
			() => attempts.close(),
			async () => connection.disconnect(),
		);
		await events.waitUntilReady();
		// What anyone who can read Redis reads: each attempt's job, capability and all.
		const capabilityOf = async (ticket: string) => ((await Job.fromId(attempts, attemptIdOf(runId, ticket, 1)))!.data as {capability: string}).capability;
		const wCap = await capabilityOf('W');
		const qCap = await capabilityOf('Q');
		const version = (JSON.parse(readFileSync('package.json', 'utf8')) as {version: string}).version;
		let n = 0;
		const forge = async (attemptId: string, capability: string, line: unknown) => {
			const data = {version, attemptId, capability, host: 'forger', line: JSON.stringify(line)};
			const job = await verbs.add('verb', data, {jobId: verbJobId(attemptId, `forged${++n}`)});
			return (await job.waitUntilFinished(events, 60_000)) as {type: string; message: string};
		};
		const note = (text: string) => ({type: 'note', text});
		const w = attemptIdOf(runId, 'W', 1);
		const q = attemptIdOf(runId, 'Q', 1);
		const v = attemptIdOf(runId, 'V', 1);

		// A bad capability for a running attempt; W's capability under another attempt's id; a human verb with W's true capability (past any worker).
		expect(await forge(w, '0'.repeat(64), note('forged: no capability'))).toMatchObject({
			type: 'error',
			message: expect.stringMatching(/not the capability of W attempt 1/),
		});
		expect(await forge(v, wCap, note('forged: W speaking for V'))).toMatchObject({
			type: 'error',
			message: expect.stringMatching(/not the capability of V attempt 1/),
		});
		expect(await forge(w, wCap, {type: 'gate', ticket: 'Q', reason: 'forged'})).toMatchObject({
			type: 'error',
			message: expect.stringMatching(/`gate` is a human's verb/),
		});
		// An attempt that ended, with its own capability; an attempt that never was; a line with a second request smuggled in.
		expect(await forge(q, qCap, note('forged: after the end'))).toMatchObject({type: 'error', message: expect.stringMatching(/attempt 1 of Q is over/)});
		expect(await forge(`${runId}/NOPE/a1`, wCap, note('forged: nobody'))).toMatchObject({
			type: 'error',
			message: expect.stringMatching(/no attempt running in this run/),
		});
		const smuggled = await verbs.add(
			'verb',
			{version, attemptId: w, capability: wCap, host: 'forger', line: `${JSON.stringify(note('forged: first'))}\n${JSON.stringify({type: 'stop'})}`},
			{jobId: verbJobId(w, 'smuggled')},
		);
		expect(await smuggled.waitUntilFinished(events, 60_000)).toMatchObject({type: 'error', message: expect.stringMatching(/one JSON object on one line/)});
		// A request over the size cap (as the local channel's: one line of 1 MiB), with W's capability.
		expect(await forge(w, wCap, note('x'.repeat(2 * 1024 * 1024)))).toMatchObject({
			type: 'error',
			message: expect.stringMatching(/not a proofloop verb request: Too big/),
		});
		// The one genuine request, W's own capability for W: answered.
		expect(await forge(w, wCap, note('W, genuinely'))).toMatchObject({type: 'ok'});

		// V's flood: beyond 16 in flight its worker answers busy and sends nothing on; what it sent on was each applied once.
		const flood = (records(out).find(r => r['flood']) as {flood: {ok: number; busy: number; other: number}}).flood;
		expect(flood.ok + flood.busy + flood.other).toBe(100);
		expect(flood.other).toBe(0);
		expect(flood.busy).toBeGreaterThan(0);
		const relayed = (await verbs.getJobs(['completed', 'failed', 'waiting', 'active', 'delayed'])).filter(j =>
			/"flood /.test(String((j.data as {line?: string}).line)),
		);
		expect(relayed).toHaveLength(flood.ok);

		writeFileSync(`${plan}.go`, '');
		const result = await run;
		expect(result.exitCode, result.stdout + result.stderr).toBe(0);
		const log = runEvents(root);
		expect(log.filter(e => e.type === 'ticket.note' && e.ticket === 'V' && /^flood /.test(e.text))).toHaveLength(flood.ok);
		const notes = log.flatMap(e => (e.type === 'ticket.note' ? [`${e.ticket}: ${e.text}`] : []));
		expect(notes.filter(t => /forged/.test(t))).toEqual([]);
		expect(notes).toContain('W: W, genuinely');
		expect(log.some(e => e.type === 'intervention')).toBe(false);
		// Everything but the agents' own human verbs (refused by their worker): the forgeries, each with the ticket and attempt it named.
		const forged = tampers(log).filter(e => !/refused by worker/.test(e.detail));
		expect(forged.map(e => [e.ticket, e.attempt, e.verb])).toEqual([
			['W', 1, 'note'],
			['V', 1, 'note'],
			['W', 1, 'gate'],
			['Q', 1, 'note'],
			[undefined, undefined, 'note'],
			[undefined, undefined, '?'],
		]);
	}, 240_000);

	it('the coordinator killed: a request sent while it is away waits in the queue, and the resumed run answers it exactly once', async () => {
		const {root, plan, remote, top, url, out} = queuedRepo([{id: 'W'}], 3, {W: 'remote-verbs', _sleepMs: 50, _lateNote: true}, {attempts: 1});
		startWorker({url, remote, plan, out, dir: path.join(top, 'worker')});
		const first = runCli(root, ['run', '--headless'], {FAKE_AGENT_PLAN: plan});
		await until('W waiting', () => existsSync(`${plan}.W.waiting`));
		first.kill('SIGKILL');
		await first;
		const runId = runIdOf(root)!;
		const connection = new Redis(url, {maxRetriesPerRequest: null});
		const verbs = new Queue(verbQueueName(runId), {connection});
		closers.push(
			() => verbs.close(),
			async () => connection.disconnect(),
		);
		writeFileSync(`${plan}.go`, '');
		// The late note is in the queue, and no coordinator takes it.
		const waiting = async () => (await verbs.getJobs(['waiting'])).some(job => String((job.data as {line?: string}).line).includes('late note'));
		const deadline = Date.now() + 60_000;
		while (!(await waiting())) {
			if (Date.now() > deadline) throw new Error('the late note never reached the queue');
			await new Promise(resolve => setTimeout(resolve, 200));
		}
		const resumed = await runCli(root, ['run', '--headless'], {FAKE_AGENT_PLAN: plan});
		expect(resumed.exitCode, resumed.stdout + resumed.stderr).toBe(0);
		expect(records(out).find(r => r['late'])?.['late']).toMatchObject({exit: 0, out: 'noted for later attempts'});
		const notes = runEvents(root).flatMap(e => (e.type === 'ticket.note' ? [e.text] : []));
		expect(notes.filter(text => text === 'late note from W')).toHaveLength(1);
		expect(notes.filter(text => text === 'remote note from W')).toHaveLength(1);
		expect(tampers(runEvents(root)).filter(e => !/refused by worker/.test(e.detail))).toEqual([]);
	}, 240_000);
	it('a remote agent files a blocker of its own ticket: the new ticket runs and is done, then the parked attempt resumes on its branch, oracle 0', async () => {
		const {root, plan, remote, top, url, out} = queuedRepo([{id: 'T-1'}], 4, {'T-1': 'file-blocker', _sleepMs: 50});
		startWorker({url, remote, plan, out, dir: path.join(top, 'worker')});
		const result = await runCli(root, ['run', '--headless'], {FAKE_AGENT_PLAN: plan});
		expect(result.exitCode, result.stdout + result.stderr).toBe(0);
		expect(records(out)[0]!['filed']).toMatchObject({exit: 0, out: expect.stringMatching(/filed T-2; T-1 now waits on it/)});
		const order = runEvents(root).flatMap(e => {
			if (e.type === 'ticket.filed') return [`filed ${e.ticket}`];
			if (e.type === 'attempt.parked') return [`parked ${e.ticket}`];
			if (e.type === 'ticket.done') return [`done ${e.ticket}`];
			return [];
		});
		expect(order).toEqual(['filed T-2', 'parked T-1', 'done T-2', 'done T-1']);
		// The resumed attempt kept the first half its parked attempt committed on the worker.
		expect(git(root, 'show', 'main:work/T-1-part.txt')).toBe('first half');
		expect(readFileSync(path.join(root, '.proofloop/tickets/T-2.md'), 'utf8')).toMatch(/discovered_from: T-1/);
	}, 240_000);
	it('a request the run never answered before its attempt ended is withdrawn: the resumed run neither applies it nor logs it', async () => {
		const {root, plan, remote, top, url, out} = queuedRepo([{id: 'W'}], 5, {W: 'remote-verbs', _sleepMs: 50, _lateNoteNoWait: true}, {attempts: 1});
		startWorker({url, remote, plan, out, dir: path.join(top, 'worker')});
		const first = runCli(root, ['run', '--headless'], {FAKE_AGENT_PLAN: plan});
		await until('W waiting', () => existsSync(`${plan}.W.waiting`));
		first.kill('SIGKILL');
		await first;
		const runId = runIdOf(root)!;
		const connection = new Redis(url, {maxRetriesPerRequest: null});
		const attempts = new Queue(QUEUE_NAME, {connection});
		const verbs = new Queue(verbQueueName(runId), {connection});
		closers.push(
			() => verbs.close(),
			() => attempts.close(),
			async () => connection.disconnect(),
		);
		writeFileSync(`${plan}.go`, '');
		// The worker finishes the attempt (after waiting its 10 s for an answer that does not come).
		const job = (await Job.fromId(attempts, attemptIdOf(runId, 'W', 1)))!;
		const deadline = Date.now() + 90_000;
		while ((await job.getState()) !== 'completed') {
			if (Date.now() > deadline) throw new Error('the attempt never completed');
			await new Promise(resolve => setTimeout(resolve, 300));
		}
		expect(records(out).find(r => r['unanswered'])?.['unanswered']).toMatchObject({replies: []});
		const left = await verbs.getJobs(['waiting', 'delayed', 'active']);
		expect(left.filter(j => String((j.data as {line?: string}).line).includes('unanswered note'))).toEqual([]);
		const resumed = await runCli(root, ['run', '--headless'], {FAKE_AGENT_PLAN: plan});
		expect(resumed.exitCode, resumed.stdout + resumed.stderr).toBe(0);
		const events = runEvents(root);
		expect(events.some(e => e.type === 'ticket.note' && /unanswered/.test(e.text))).toBe(false);
		expect(tampers(events).filter(e => !/refused by worker/.test(e.detail))).toEqual([]);
	}, 240_000);
});
