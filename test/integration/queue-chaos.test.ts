import {mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import path from 'node:path';
import {execFileSync} from 'node:child_process';
import {execa, type ResultPromise} from 'execa';
import {Queue} from 'bullmq';
import {Redis} from 'ioredis';
import {afterAll, beforeAll, describe, expect, it} from 'vitest';
import {CLI, makeRepo, runEvents, trailerCount, type TicketSpec} from '../helpers/repo.js';
import {tagged} from '../helpers/processes.js';
import {redisProbe, startRedis, type RedisServer} from '../helpers/redis-server.js';
import {probeBwrap} from '../../source/agents/sandbox.js';
import {findRunProcesses} from '../../source/process/orphans.js';
import {QUEUE_NAME} from '../../source/queue/protocol.js';
import {listRuns} from '../../source/core/run-dir.js';

// Chaos through the queue (#17): a batch runs on three `proofloop worker`s (each in
// its own clone, a bare remote between) while workers and the coordinator are
// SIGKILLed at seeded random moments and restarted (and now and then Redis restarted). Replay a failure with
// PROOFLOOP_CHAOS_SEED=<the seed printed>; PROOFLOOP_CHAOS_KILLS sets the kills (default 6).
const SEED = Number(process.env['PROOFLOOP_CHAOS_SEED'] ?? Math.floor(Math.random() * 2 ** 31));
const KILLS = Number(process.env['PROOFLOOP_CHAOS_KILLS'] ?? 6);
const UNBOXED = probeBwrap().ok ? [] : ['--unsandboxed'];

const probe = redisProbe('the queue chaos test');
let redis: RedisServer;
beforeAll(async () => {
	if (probe.ok) redis = await startRedis();
}, 60_000);
afterAll(async () => {
	await redis?.stop();
});

// mulberry32, as scripts/chaos.mjs: the same seed makes the same choices.
let state = SEED;
const random = () => {
	state = (state + 0x6d2b79f5) | 0;
	let t = state;
	t = Math.imul(t ^ (t >>> 15), t | 1);
	t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
	return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
};
const randInt = (lo: number, hi: number) => lo + Math.floor(random() * (hi - lo + 1));
const sleep = (ms: number) => new Promise(resolve => setTimeout(resolve, ms));
const say = (line: string) => console.log(`queue chaos (seed ${SEED}): ${line}`);

const TICKETS: TicketSpec[] = [
	{id: 'A'},
	{id: 'B'},
	{id: 'C'},
	{id: 'D', deps: ['A']},
	{id: 'E', deps: ['B', 'C']},
	{id: 'F', deps: ['D']},
	{id: 'I-1', locks: ['infra']},
	{id: 'I-2', locks: ['infra'], deps: ['A']},
];

type Life = {child: ResultPromise; out: string; busy: Set<string>; pid: number};

/** The process group of each process (field 5 of /proc/PID/stat), for what a killed worker's group left. */
function groupMembers(groups: Set<number>): number[] {
	const found: number[] = [];
	for (const entry of readdirProc()) {
		try {
			const stat = readFileSync(`/proc/${entry}/stat`, 'latin1');
			const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
			if (fields[0] !== 'Z' && groups.has(Number(fields[2]))) found.push(entry);
		} catch {
			// gone
		}
	}
	return found;
}
const readdirProc = () =>
	readdirSync('/proc')
		.filter(name => /^\d+$/.test(name))
		.map(Number);

describe.skipIf(!probe.ok)('chaos through the queue: workers and the coordinator SIGKILLed at random', () => {
	it(`up to ${KILLS} kills (as many as land before the batch is through): oracle 0, each ticket merged once, no kill charged, no process left, no job left in the queue`, async () => {
		say(`${KILLS} kills (replay: PROOFLOOP_CHAOS_SEED=${SEED})`);
		const top = mkdtempSync(path.join(tmpdir(), 'pl-qchaos-'));
		const remote = path.join(top, 'remote.git');
		execFileSync('git', ['init', '-q', '--bare', remote]);
		const url = redis.url;
		const {root, plan} = makeRepo({
			tickets: TICKETS,
			plan: {_sleepMs: 1200},
			config: {executor: {kind: 'queue', url, remote}, concurrency: 4, attempts: 2},
		});
		const groups = new Set<number>();
		let finished = 0;
		const workers: Array<Life | undefined> = [undefined, undefined, undefined];
		const startWorker = (n: number): Life => {
			const dir = path.join(top, `worker-${n}`);
			mkdirSync(dir, {recursive: true});
			const child = execa(process.execPath, [CLI, 'worker', '--queue', url, '--remote', remote, '--concurrency', '2', ...UNBOXED], {
				cwd: dir,
				reject: false,
				stdin: 'ignore',
				detached: true,
				env: {FAKE_AGENT_PLAN: plan, NO_COLOR: '1'},
			});
			const life: Life = {child, out: '', busy: new Set(), pid: child.pid!};
			groups.add(life.pid);
			child.stdout?.on('data', (chunk: Buffer) => {
				life.out += String(chunk);
				for (const m of String(chunk).matchAll(/proofloop worker: (\S+) \(ticket/g)) life.busy.add(m[1]!);
				for (const m of String(chunk).matchAll(/proofloop worker: (\S+) done:/g)) {
					life.busy.delete(m[1]!);
					finished++;
				}
			});
			return (workers[n - 1] = life);
		};
		let coordinator: ResultPromise | undefined;
		const startCoordinator = () => {
			coordinator = execa(process.execPath, [CLI, 'run', '--headless'], {
				cwd: root,
				reject: false,
				stdin: 'ignore',
				detached: true,
				env: {FAKE_AGENT_PLAN: plan, NO_COLOR: '1'},
			});
			groups.add(coordinator.pid!);
			return coordinator;
		};
		const cleanup = () => {
			for (const pid of groups) {
				try {
					process.kill(-pid, 'SIGKILL');
				} catch {
					// gone
				}
			}
		};

		const restarts: Array<Promise<Life>> = [];
		try {
			for (const n of [1, 2, 3]) startWorker(n);
			startCoordinator();
			const deadline = Date.now() + 150_000;
			const log: string[] = [];
			let kills = 0;
			let final: Awaited<ResultPromise> | undefined;
			while (!final) {
				if (Date.now() > deadline) throw new Error(`seed ${SEED}: the batch did not finish within 150 s; kills so far: ${log.join(', ')}`);
				const current = coordinator!;
				let ended: Awaited<ResultPromise> | undefined;
				void current.then(r => (ended = r));
				if (kills >= KILLS) {
					final = await current;
					break;
				}
				await sleep(randInt(300, 3500));
				if (ended) {
					// Ended on its own: the batch is through (or broke), whatever kills are left.
					final = ended;
					break;
				}
				kills++;
				const victim = random();
				if (victim < 0.1) {
					// Redis itself, its data kept (as one with persistence): everyone reconnects.
					const down = randInt(200, 1500);
					await redis.restart({data: 'keep', downMs: down});
					log.push(`redis (${down} ms)`);
					say(`kill ${kills}/${KILLS}: redis, down ${down} ms`);
				} else if (victim < 0.45) {
					// The coordinator: at a random moment, or just as a worker finished (its result on the way to the run).
					if (random() < 0.5) {
						const before = finished;
						const until = Date.now() + 4000;
						while (Date.now() < until && finished === before) await sleep(20);
						await sleep(randInt(0, 200));
					}
					if (ended) {
						final = ended;
						break;
					}
					current.kill('SIGKILL');
					await current;
					log.push('coordinator');
					say(`kill ${kills}/${KILLS}: the coordinator; restarted`);
					startCoordinator();
				} else {
					// A worker that is up (not one waiting for its restart), busy ones first.
					const up = workers.flatMap((w, i) => (w ? [{w, i}] : []));
					if (up.length === 0) continue;
					const busy = up.filter(({w}) => w.busy.size > 0);
					const pool = busy.length > 0 ? busy : up;
					const {w, i} = pool[randInt(0, pool.length - 1)]!;
					workers[i] = undefined;
					w.child.kill('SIGKILL');
					await w.child;
					log.push(`worker-${i + 1} (${[...w.busy].join(' ') || 'idle'})`);
					say(`kill ${kills}/${KILLS}: worker-${i + 1} running ${[...w.busy].join(', ') || 'nothing'}`);
					const pause = randInt(0, 1500);
					restarts.push(sleep(pause).then(() => startWorker(i + 1)));
				}
			}
			const coordinatorOut = `${final.stdout}\n${final.stderr}`;
			const why = `seed ${SEED}, kills ${log.join(', ')}\n${coordinatorOut.slice(-3000)}`;
			expect(final.exitCode, why).toBe(0);
			expect(coordinatorOut, why).toMatch(/oracle: exit 0/);

			// Each ticket merged exactly once; the merge queue's ledger agrees.
			for (const t of TICKETS) expect(await trailerCount(root, t.id), `${t.id}: ${why}`).toBe(1);
			const ledger = execFileSync('git', ['show', 'refs/heads/proofloop-ledger:merges.jsonl'], {cwd: root, encoding: 'utf8'})
				.split('\n')
				.filter(Boolean)
				.map(line => (JSON.parse(line) as {ticket: string}).ticket);
			expect(ledger.sort(), why).toEqual(TICKETS.map(t => t.id).sort());
			// A kill is no attempt's fault: nothing failed, nothing charged.
			const events = runEvents(root);
			const failed = events.filter(e => e.type === 'attempt.failed');
			expect(failed, why).toEqual([]);
			expect((await execa('node', [CLI, 'oracle'], {cwd: root, reject: false})).exitCode, why).toBe(0);

			await Promise.all(restarts);
			// Each up (a worker still starting has no SIGTERM handler yet: it would just die, which is fine, but not what is tested here).
			const ready = Date.now() + 20_000;
			while (workers.some(w => !w!.out.includes('taking attempts from')) && Date.now() < ready) await sleep(50);
			// The workers stop on a SIGTERM once idle, and nothing of the run or of theirs is left running.
			await sleep(randInt(0, 500));
			const stopping = workers.map(w => w!.child);
			for (const [n, w] of workers.entries()) writeFileSync(path.join(top, `worker-${n + 1}.out`), w!.out);
			for (const w of stopping) w.kill('SIGTERM');
			const codes = (await Promise.all(stopping)).map(r => r.exitCode);
			expect(codes, why).toEqual([0, 0, 0]);
			// (Not from run.started: a coordinator killed as it starts may leave a run whose log begins at run.resumed.)
			const runId = listRuns(root)[0]!.id;
			const left = async () => [...new Set([...findRunProcesses(runId), ...tagged(top), ...groupMembers(groups)])];
			const until = Date.now() + 5000;
			while ((await left()).length > 0 && Date.now() < until) await sleep(100);
			const cmdline = (pid: number) => {
				try {
					return `${pid} ${readFileSync(`/proc/${pid}/cmdline`, 'latin1').replaceAll('\0', ' ').slice(0, 200)}`;
				} catch {
					return `${pid} (gone)`;
				}
			};
			expect((await left()).map(cmdline), why).toEqual([]);

			// No job is left waiting or held in the queue.
			const connection = new Redis(url, {maxRetriesPerRequest: null});
			const queue = new Queue(QUEUE_NAME, {connection});
			try {
				const counts = await queue.getJobCounts('wait', 'active', 'delayed', 'paused', 'prioritized', 'waiting-children', 'failed');
				expect(counts, why).toEqual({wait: 0, active: 0, delayed: 0, paused: 0, prioritized: 0, 'waiting-children': 0, failed: 0});
			} finally {
				await queue.close();
				connection.disconnect();
			}
			say(`done: ${log.length} kills (${log.join(', ')})`);
		} finally {
			await Promise.allSettled(restarts);
			cleanup();
		}
	}, 200_000);
});
