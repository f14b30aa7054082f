import {mkdirSync, mkdtempSync, symlinkSync} from 'node:fs';
import {tmpdir} from 'node:os';
import path from 'node:path';
import {execFileSync} from 'node:child_process';
import {execa, type ResultPromise} from 'execa';
import {afterAll, afterEach, beforeAll, describe, expect, it} from 'vitest';
import {CLI, makeRepo, runCli, runEvents, trailerCount} from '../helpers/repo.js';
import {redisProbe, startRedis, type RedisServer} from '../helpers/redis-server.js';
import {probeBwrap} from '../../source/agents/sandbox.js';
import type {EngineEvent} from '../../source/core/events.js';

// The queue's plumbing failing is not the attempt's failure (#17): a git remote
// that does not answer, on the run's side or the worker's, costs no attempt; the
// ticket waits a little and runs again. (A worker's refusal stays charged: queue-redteam.)
const UNBOXED = probeBwrap().ok ? [] : ['--unsandboxed'];
const probe = redisProbe('the queue fault tests');
let redis: RedisServer;
beforeAll(async () => {
	if (probe.ok) redis = await startRedis();
}, 60_000);
afterAll(async () => {
	await redis?.stop();
});
const workers: ResultPromise[] = [];
// Runs too: a test that fails mid-way must not leave its run waiting for a job forever.
const runs: ResultPromise[] = [];
afterEach(async () => {
	for (const w of [...workers.splice(0), ...runs.splice(0)]) {
		w.kill('SIGKILL');
		await w.catch(() => {});
	}
});
const sleep = (ms: number) => new Promise(resolve => setTimeout(resolve, ms));

/** A run on the queue whose remote (for the run, or for the worker) is a link the test takes away and puts back. */
function setUp(db: number, broken: 'run' | 'worker' | 'none', plan: Record<string, unknown> = {_sleepMs: 200}) {
	const top = mkdtempSync(path.join(tmpdir(), 'pl-qfaults-'));
	const remote = path.join(top, 'remote.git');
	execFileSync('git', ['init', '-q', '--bare', remote]);
	const link = path.join(top, 'link.git');
	const url = redis.url.replace(/\/\d+$/, `/${db}`);
	const runRemote = broken === 'run' ? link : remote;
	const repo = makeRepo({tickets: [{id: 'N'}], plan, config: {executor: {kind: 'queue', url, remote: runRemote}, attempts: 1}});
	const dir = path.join(top, 'worker');
	mkdirSync(dir);
	const workerRemote = broken === 'worker' ? link : remote;
	const worker = execa(process.execPath, [CLI, 'worker', '--queue', url, '--remote', workerRemote, '--concurrency', '1', ...UNBOXED], {
		cwd: dir,
		reject: false,
		stdin: 'ignore',
		env: {FAKE_AGENT_PLAN: repo.plan, NO_COLOR: '1'},
	});
	workers.push(worker);
	let said = '';
	worker.stdout?.on('data', (chunk: Buffer) => (said += String(chunk)));
	return {...repo, mend: () => symlinkSync(remote, link), said: () => said};
}

async function events(root: string): Promise<EngineEvent[]> {
	try {
		return runEvents(root);
	} catch {
		return [];
	}
}

async function runThroughFault(db: number, broken: 'run' | 'worker') {
	const {root, plan, mend} = setUp(db, broken);
	const run = runCli(root, ['run', '--headless'], {FAKE_AGENT_PLAN: plan});
	runs.push(run);
	// Down until the first fault is taken as one; then the remote is back.
	let over = false;
	void run.then(() => (over = true));
	while (!over && !(await events(root)).some(e => e.type === 'attempt.limited')) await sleep(100);
	mend();
	const result = await run;
	expect(result.exitCode, result.stdout + result.stderr).toBe(0);
	const all = runEvents(root);
	expect(all.filter(e => e.type === 'attempt.failed')).toEqual([]);
	const limited = all.filter(e => e.type === 'attempt.limited');
	expect(limited[0]).toMatchObject({ticket: 'N', attempt: 1, reason: expect.stringMatching(/^not charged: .*the queue's fault, not the attempt's/)});
	expect(all.filter(e => e.type === 'ticket.done')).toMatchObject([{ticket: 'N', attempt: 1}]);
	expect(await trailerCount(root, 'N')).toBe(1);
	return limited;
}

describe.skipIf(!probe.ok)("the queue's plumbing failing costs no attempt", () => {
	it('the run cannot push to the remote: not charged, the ticket waits, and runs once the remote answers again', async () => {
		const limited = await runThroughFault(1, 'run');
		expect(limited[0]).toMatchObject({reason: expect.stringMatching(/pushing main and the start of .* failed/)});
	}, 120_000);

	it("the worker cannot fetch the attempt's start: the job fails on the worker, not charged, and runs again as a new job", async () => {
		const limited = await runThroughFault(2, 'worker');
		expect(limited[0]).toMatchObject({reason: expect.stringMatching(/the worker failed attempt .*fetching refs\/proofloop\/start/)});
	}, 120_000);

	it('Redis restarted empty mid-attempt (its data lost): the job is gone, the attempt is not charged and runs again as a new job', async () => {
		const {root, plan, said} = setUp(3, 'none', {_sleepMs: 3000});
		const run = runCli(root, ['run', '--headless'], {FAKE_AGENT_PLAN: plan});
		runs.push(run);
		while (!said().includes('(ticket N, attempt 1)')) await sleep(50);
		await redis.restart({data: 'lose', downMs: 500});
		const result = await run;
		expect(result.exitCode, result.stdout + result.stderr).toBe(0);
		const all = runEvents(root);
		expect(all.filter(e => e.type === 'attempt.failed')).toEqual([]);
		const limited = all.filter(e => e.type === 'attempt.limited');
		// Gone, as the run sees it; or failed, as the worker finishing a job Redis no longer holds may say first.
		expect(limited[0], JSON.stringify(limited)).toMatchObject({reason: expect.stringMatching(/^not charged: /)});
		expect(await trailerCount(root, 'N')).toBe(1);
	}, 120_000);
});
