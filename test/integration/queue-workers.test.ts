import {chmodSync, cpSync, mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync} from 'node:fs';
import {hostname, tmpdir} from 'node:os';
import path from 'node:path';
import {execFileSync} from 'node:child_process';
import {execa, type ResultPromise} from 'execa';
import {afterAll, afterEach, beforeAll, describe, expect, it} from 'vitest';
import {CLI, makeRepo, runCli, runEvents, trailerCount, type TicketSpec} from '../helpers/repo.js';
import {tagged} from '../helpers/processes.js';
import {redisProbe, startRedis, type RedisServer} from '../helpers/redis-server.js';
import {probeBwrap} from '../../source/agents/sandbox.js';

// Where bwrap cannot run, makeRepo runs agents unsandboxed on purpose: the workers must accept that.
const UNBOXED = probeBwrap().ok ? [] : ['--unsandboxed'];

// Attempts through BullMQ on a real redis-server: `proofloop worker` processes,
// each with its own clone, a bare repository as the shared remote, the finish line on the run.
const probe = redisProbe('the queue worker tests');
let redis: RedisServer;
beforeAll(async () => {
	if (probe.ok) redis = await startRedis();
}, 60_000);
afterAll(async () => {
	await redis?.stop();
});

const workers: ResultPromise[] = [];
afterEach(async () => {
	for (const w of workers.splice(0)) {
		w.kill('SIGTERM');
		await w.catch(() => {});
	}
});

const git = (cwd: string, ...args: string[]) => execFileSync('git', args, {cwd, encoding: 'utf8'}).trim();

/** A run's repo whose config sends its attempts to the queue (db: this test's own Redis database), with a bare remote beside it. */
function queuedRepo(tickets: TicketSpec[], db: number, plan: Record<string, unknown>, config: Record<string, unknown> = {}) {
	const top = mkdtempSync(path.join(tmpdir(), 'pl-queue-'));
	const remote = path.join(top, 'remote.git');
	git(top, 'init', '-q', '--bare', remote);
	const url = redis.url.replace(/\/\d+$/, `/${db}`);
	const repo = makeRepo({tickets, plan, config: {executor: {kind: 'queue', url, remote}, ...config}});
	return {...repo, remote, top, url};
}

/** A `proofloop worker` in its own directory (its clone inside), from `cli` (another install for the version test). */
function startWorker(opts: {url: string; remote: string; dir: string; plan: string; cli?: string; concurrency?: number}): ResultPromise {
	mkdirSync(opts.dir, {recursive: true});
	const w = execa(
		process.execPath,
		[opts.cli ?? CLI, 'worker', '--queue', opts.url, '--remote', opts.remote, '--concurrency', String(opts.concurrency ?? 2), ...UNBOXED],
		{
			cwd: opts.dir,
			reject: false,
			stdin: 'ignore',
			env: {FAKE_AGENT_PLAN: opts.plan, NO_COLOR: '1'},
		},
	);
	workers.push(w);
	return w;
}

const stopAll = async (): Promise<number[]> => {
	const running = workers.splice(0);
	for (const w of running) w.kill('SIGTERM');
	return (await Promise.all(running)).map(r => r.exitCode ?? -1);
};

describe.skipIf(!probe.ok)('attempts run by proofloop workers through the queue', () => {
	it('three workers in their own clones run a batch to oracle 0: each attempt on a worker, its output in the run log, each merge once, nothing left running', async () => {
		const tickets = [{id: 'A'}, {id: 'B'}, {id: 'C', deps: ['A']}, {id: 'I-1', locks: ['infra']}, {id: 'I-2', locks: ['infra']}, {id: 'D'}, {id: 'E'}];
		// D leaves its work uncommitted (the worker commits it); E fails attempt 1 and passes attempt 2 on a fresh start.
		const plan0 = {_sleepMs: 400, D: 'leave-uncommitted', E: 'fail-once-committed'};
		const {root, plan, remote, top, url} = queuedRepo(tickets, 1, plan0, {concurrency: 4});
		for (const n of [1, 2, 3]) startWorker({url, remote, plan, dir: path.join(top, `worker-${n}`)});

		const result = await runCli(root, ['run', '--headless'], {FAKE_AGENT_PLAN: plan});
		expect(result.stderr).toBe('');
		expect(result.exitCode, result.stdout).toBe(0);
		expect(result.stdout).toMatch(/oracle: exit 0/);

		const events = runEvents(root);
		const remoteRuns = events.filter(e => e.type === 'agent.remote');
		const started = events.filter(e => e.type === 'attempt.started');
		expect(remoteRuns).toHaveLength(started.length);
		for (const e of remoteRuns) expect(e).toMatchObject({host: hostname()});
		for (const t of tickets) expect(await trailerCount(root, t.id)).toBe(1);
		// E's scripted failure is the only one: no result was refused on the way.
		expect(events.filter(e => e.type === 'attempt.failed').map(e => ('ticket' in e ? e.ticket : ''))).toEqual(['E']);
		expect(git(root, 'show', 'main:work/D.txt')).toBe('left by attempt 1');
		// The agent's lines came back into the attempt's log in the run directory (what panes and tail read).
		const runId = (JSON.parse((await runCli(root, ['report', '--json'])).stdout) as {runId: string}).runId;
		const tail = await runCli(root, ['tail', 'B']);
		expect(tail.stdout).toMatch(/fake agent: B attempt 1 mode ok/);
		expect(readFileSync(path.join(root, '.proofloop/runs', runId, 'logs', 'B', '1.log'), 'utf8')).toMatch(/fake agent: B attempt 1/);
		// Base went to the remote, under the run's own ref (the remote's main is anyone's to push), and the oracle agrees on this repository.
		const remoteBase = git(remote, 'rev-parse', 'refs/proofloop/base/main');
		expect(git(root, 'merge-base', remoteBase, 'main')).toBe(remoteBase);
		expect((await runCli(root, ['oracle'])).exitCode).toBe(0);

		expect(await stopAll()).toEqual([0, 0, 0]);
		expect(tagged(top)).toEqual([]);
	}, 240_000);

	it('refuses a result whose head on the remote is not the sha the worker claims: nothing of it is merged', async () => {
		const {root, plan, remote, top, url} = queuedRepo([{id: 'OK'}, {id: 'LIE'}], 2, {_sleepMs: 100}, {attempts: 1});
		// What a lying worker does, played by the remote: LIE's pushed head is swapped for its parent as it arrives.
		writeFileSync(
			path.join(remote, 'hooks', 'post-receive'),
			'#!/bin/sh\nwhile read old new ref; do\n  case "$ref" in refs/proofloop/result/*/LIE/*) git update-ref "$ref" "$new^" ;; esac\ndone\n',
		);
		chmodSync(path.join(remote, 'hooks', 'post-receive'), 0o755);
		startWorker({url, remote, plan, dir: path.join(top, 'worker')});

		const result = await runCli(root, ['run', '--headless'], {FAKE_AGENT_PLAN: plan});
		expect(result.exitCode, result.stdout + result.stderr).toBe(1);
		const events = runEvents(root);
		const failed = events.find(e => e.type === 'attempt.failed' && e.ticket === 'LIE');
		expect(failed).toMatchObject({stage: 'implement'});
		expect((failed as {reason: string}).reason).toMatch(
			/refused: worker .* claimed head [0-9a-f]{7}, but refs\/proofloop\/result\/.* on the remote is [0-9a-f]{7}/,
		);
		expect(await trailerCount(root, 'LIE')).toBe(0);
		expect(await trailerCount(root, 'OK')).toBe(1);
		expect(events.some(e => e.type === 'merge.intent' && e.ticket === 'LIE')).toBe(false);
		await stopAll();
	}, 180_000);

	it('a worker SIGKILLed mid-attempt: its lock lapses, the job goes to another worker, the attempt is not charged, and merges once', async () => {
		const {root, plan, remote, top, url} = queuedRepo([{id: 'S'}], 4, {_sleepMs: 6000}, {attempts: 1});
		const first = startWorker({url, remote, plan, dir: path.join(top, 'worker-1'), concurrency: 1});
		const took = new Promise<void>(resolve => first.stdout?.on('data', (chunk: Buffer) => String(chunk).includes('(ticket S, attempt 1)') && resolve()));
		const run = runCli(root, ['run', '--headless'], {FAKE_AGENT_PLAN: plan});
		await took;
		first.kill('SIGKILL');
		await first;
		startWorker({url, remote, plan, dir: path.join(top, 'worker-2'), concurrency: 1});
		const result = await run;
		expect(result.exitCode, result.stdout + result.stderr).toBe(0);
		const events = runEvents(root);
		expect(events.filter(e => e.type === 'attempt.started' && e.ticket === 'S')).toHaveLength(1);
		expect(events.some(e => e.type === 'attempt.failed')).toBe(false);
		expect(events.some(e => e.type === 'warning' && /lock lapsed/.test(e.message))).toBe(true);
		expect(await trailerCount(root, 'S')).toBe(1);
		await stopAll();
	}, 180_000);

	it('Redis restarted mid-attempt (its data kept): the run and the worker reconnect and go on to oracle 0', async () => {
		const {root, plan, remote, top, url} = queuedRepo([{id: 'R1'}, {id: 'R2', deps: ['R1']}], 5, {_sleepMs: 3000});
		const w = startWorker({url, remote, plan, dir: path.join(top, 'worker'), concurrency: 1});
		const took = new Promise<void>(resolve => w.stdout?.on('data', (chunk: Buffer) => String(chunk).includes('(ticket R1, attempt 1)') && resolve()));
		const run = runCli(root, ['run', '--headless'], {FAKE_AGENT_PLAN: plan});
		await took;
		await redis.restart({data: 'keep', downMs: 1000});
		const result = await run;
		expect(result.exitCode, result.stdout + result.stderr).toBe(0);
		expect(result.stderr).toBe('');
		const events = runEvents(root);
		expect(events.some(e => e.type === 'attempt.failed' || e.type === 'attempt.interrupted')).toBe(false);
		// Said once each way, not a line per reconnect try.
		const said = events.filter(e => e.type === 'warning').map(e => (e as {message: string}).message);
		expect(said.filter(m => /is unreachable/.test(m))).toHaveLength(1);
		expect(said.filter(m => /is back/.test(m))).toHaveLength(1);
		for (const id of ['R1', 'R2']) expect(await trailerCount(root, id)).toBe(1);
		expect(readFileSync(path.join(root, '.proofloop/runs', runEvents(root).find(e => e.type === 'run.started')!.runId, 'logs', 'R1', '1.log'), 'utf8')).toMatch(
			/fake agent: R1 attempt 1 mode ok[\s\S]*fake agent: finished/,
		);
		expect(await stopAll()).toEqual([0]);
	}, 180_000);

	it('the run SIGKILLed while a worker runs its attempt: the resumed run collects the result finished meanwhile, the agent ran once, one merge', async () => {
		const {root, plan, remote, top, url} = queuedRepo([{id: 'K'}], 6, {_sleepMs: 2500}, {attempts: 1});
		const w = startWorker({url, remote, plan, dir: path.join(top, 'worker'), concurrency: 1});
		let said = '';
		w.stdout?.on('data', (chunk: Buffer) => (said += String(chunk)));
		const saw = (text: string) =>
			new Promise<void>(resolve => {
				const look = () => (said.includes(text) ? resolve() : setTimeout(look, 100));
				look();
			});
		const took = saw('(ticket K, attempt 1)');
		const finished = saw('/K/a1 done: agent ok');
		const first = runCli(root, ['run', '--headless'], {FAKE_AGENT_PLAN: plan});
		await took;
		first.kill('SIGKILL');
		await first;
		await finished;
		const resumed = await runCli(root, ['run', '--headless'], {FAKE_AGENT_PLAN: plan});
		expect(resumed.exitCode, resumed.stdout + resumed.stderr).toBe(0);
		expect(said.split('(ticket K, attempt 1)'), said).toHaveLength(2);
		expect(await trailerCount(root, 'K')).toBe(1);
		expect(runEvents(root).filter(e => e.type === 'merge.done' && e.ticket === 'K')).toHaveLength(1);
		expect(await stopAll()).toEqual([0]);
	}, 180_000);

	it('silence is said: a job no worker takes gets a warning, a remote agent silent for stallMinutes is shown stalled', async () => {
		const {root, plan, remote, top, url} = queuedRepo([{id: 'Q'}], 7, {_sleepMs: 5000}, {stallMinutes: 0.05});
		const run = runCli(root, ['run', '--headless'], {FAKE_AGENT_PLAN: plan});
		const warned = async (): Promise<boolean> => {
			try {
				return runEvents(root).some(e => e.type === 'warning' && /no worker has taken .*\/Q\/a1/.test(e.message));
			} catch {
				return false;
			}
		};
		while (!(await warned())) await new Promise(resolve => setTimeout(resolve, 200));
		startWorker({url, remote, plan, dir: path.join(top, 'worker'), concurrency: 1});
		const result = await run;
		expect(result.exitCode, result.stdout + result.stderr).toBe(0);
		const events = runEvents(root);
		expect(events.filter(e => e.type === 'warning' && /no worker has taken/.test(e.message))).toHaveLength(1);
		expect(events.some(e => e.type === 'agent.stalled' && e.ticket === 'Q')).toBe(true);
		await stopAll();
	}, 180_000);

	it('a worker of another proofloop version is refused at handshake, both versions named; the job waits for a worker of the right one', async () => {
		const {root, plan, remote, top, url} = queuedRepo([{id: 'V'}], 3, {_sleepMs: 100});
		// Another install of proofloop: the same build under another version number.
		const other = path.join(top, 'other-install');
		mkdirSync(other);
		const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as {version: string};
		writeFileSync(path.join(other, 'package.json'), JSON.stringify({name: 'proofloop', version: '0.0.1-other', type: 'module'}));
		cpSync('dist', path.join(other, 'dist'), {recursive: true});
		symlinkSync(path.resolve('node_modules'), path.join(other, 'node_modules'));
		const wrong = startWorker({url, remote, plan, dir: path.join(top, 'old-worker'), cli: path.join(other, 'dist', 'cli.js')});

		const run = runCli(root, ['run', '--headless'], {FAKE_AGENT_PLAN: plan});
		const refused = await wrong;
		expect(refused.exitCode).toBe(2);
		expect(refused.stdout).toMatch(new RegExp(`runs proofloop 0\\.0\\.1-other, the coordinator ${pkg.version.replace(/\./g, '\\.')}: refused`));
		startWorker({url, remote, plan, dir: path.join(top, 'worker')});
		const result = await run;
		expect(result.exitCode, result.stdout + result.stderr).toBe(0);
		const warnings = runEvents(root)
			.filter(e => e.type === 'warning')
			.map(e => (e as {message: string}).message);
		expect(warnings.some(m => m.includes('0.0.1-other') && m.includes(pkg.version))).toBe(true);
		expect(await trailerCount(root, 'V')).toBe(1);
		await stopAll();
	}, 180_000);
});
