import {existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import path from 'node:path';
import {execFileSync} from 'node:child_process';
import {execa, type ResultPromise} from 'execa';
import {afterAll, afterEach, beforeAll, describe, expect, it} from 'vitest';
import {CLI, makeRepo, runCli, runEvents, trailerCount} from '../helpers/repo.js';
import {redisProbe, startRedis, type RedisServer} from '../helpers/redis-server.js';
import {probeBwrap} from '../../source/agents/sandbox.js';
import {listRuns} from '../../source/core/run-dir.js';

// A coordinator SIGKILLed and resumed while a worker on the same machine runs its attempt (#17 chaos finds).
const UNBOXED = probeBwrap().ok ? [] : ['--unsandboxed'];
const probe = redisProbe('the queue resume tests');
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

function queued(db: number, plan: Record<string, unknown>, opts: {unsandboxed?: boolean} = {}) {
	const top = mkdtempSync(path.join(tmpdir(), 'pl-qresume-'));
	const remote = path.join(top, 'remote.git');
	execFileSync('git', ['init', '-q', '--bare', remote]);
	const url = redis.url.replace(/\/\d+$/, `/${db}`);
	const sandbox = opts.unsandboxed ? {sandbox: 'none'} : {};
	const repo = makeRepo({tickets: [{id: 'K'}], plan, config: {executor: {kind: 'queue', url, remote}, attempts: 1, ...sandbox}});
	const dir = path.join(top, 'worker');
	mkdirSync(dir);
	let said = '';
	const start = () => {
		const worker = execa(
			process.execPath,
			[CLI, 'worker', '--queue', url, '--remote', remote, '--concurrency', '1', ...(opts.unsandboxed ? ['--unsandboxed'] : UNBOXED)],
			{cwd: dir, reject: false, stdin: 'ignore', env: {FAKE_AGENT_PLAN: repo.plan, NO_COLOR: '1'}},
		);
		workers.push(worker);
		worker.stdout?.on('data', (chunk: Buffer) => (said += String(chunk)));
		return worker;
	};
	return {...repo, clone: path.join(dir, 'proofloop-worker', 'repo'), said: () => said, worker: start(), start};
}

/** Live processes whose environment says they are agents of the worker with this clone. */
function agentsOf(clone: string): number[] {
	const entry = `PROOFLOOP_QUEUE_WORKER=${clone}\0`;
	return readdirSync('/proc')
		.filter(name => /^\d+$/.test(name))
		.filter(name => {
			try {
				return `\0${readFileSync(`/proc/${name}/environ`, 'latin1')}\0`.includes(`\0${entry}`);
			} catch {
				return false;
			}
		})
		.map(Number);
}

/** Until `file` holds `text` (the worker's agent is running, its lines are in the run's log). */
async function until(file: () => string | undefined, text: string): Promise<void> {
	for (;;) {
		const at = file();
		if (at && existsSync(at) && readFileSync(at, 'utf8').includes(text)) return;
		await sleep(50);
	}
}

describe.skipIf(!probe.ok)('a coordinator resumed while its attempt runs on a worker of this machine', () => {
	it('leaves the running agent alone (not killed, not charged), and its log holds each line once', async () => {
		const {root, plan, said} = queued(1, {_sleepMs: 5000});
		const first = runCli(root, ['run', '--headless'], {FAKE_AGENT_PLAN: plan});
		runs.push(first);
		const log = () => {
			const run = listRuns(root)[0];
			return run && path.join(run.dir, 'logs', 'K', '1.log');
		};
		await until(log, 'fake agent: K attempt 1 mode ok');
		first.kill('SIGKILL');
		await first;
		const resumed = await runCli(root, ['run', '--headless'], {FAKE_AGENT_PLAN: plan});
		expect(resumed.exitCode, resumed.stdout + resumed.stderr).toBe(0);
		const events = runEvents(root);
		expect(events.filter(e => e.type === 'attempt.failed')).toEqual([]);
		expect(events.filter(e => e.type === 'agent.exited')).toMatchObject([{ok: true}]);
		// One agent run, on the worker, merged once.
		expect(said().split('(ticket K, attempt 1)')).toHaveLength(2);
		expect(await trailerCount(root, 'K')).toBe(1);
		const text = readFileSync(log()!, 'utf8');
		expect(text.split('fake agent: K attempt 1 mode ok'), text).toHaveLength(2);
		expect(text.split('fake agent: finished'), text).toHaveLength(2);
	}, 120_000);

	it('a worker started again in its clone ends the unsandboxed agent its SIGKILLed predecessor left', async () => {
		const {root, plan, clone, said, worker, start} = queued(2, {_sleepMs: 4000}, {unsandboxed: true});
		const run = runCli(root, ['run', '--headless'], {FAKE_AGENT_PLAN: plan});
		runs.push(run);
		while (agentsOf(clone).length === 0) await sleep(50);
		const left = agentsOf(clone);
		worker.kill('SIGKILL');
		await worker;
		// Outside bubblewrap nothing takes the agent down with its worker.
		await sleep(300);
		expect(agentsOf(clone)).toEqual(left);
		start();
		while (said().split('taking attempts from').length < 3) await sleep(50);
		expect(said()).toMatch(/killed \d+ agent process\(es\) a previous worker in .* left/);
		const gone = Date.now() + 3000;
		while (agentsOf(clone).some(pid => left.includes(pid)) && Date.now() < gone) await sleep(50);
		expect(agentsOf(clone).filter(pid => left.includes(pid))).toEqual([]);
		// The rest (the job to another worker once its lock lapses, one merge) is queue-workers.test.ts's.
		run.kill('SIGKILL');
		await run;
	}, 120_000);
});
