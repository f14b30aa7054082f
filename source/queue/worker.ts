/**
 * `proofloop worker`'s loop: takes attempt jobs from the BullMQ queue, refuses
 * one from a coordinator of another proofloop version (it goes back to the
 * queue for a worker of the right one), runs the others (worker-attempt.ts).
 * A job's lock is renewed while its agent runs; a worker killed mid-attempt
 * stops renewing it, and BullMQ hands the job to another worker (a stalled job).
 */
import {hostname} from 'node:os';
import {DelayedError, UnrecoverableError, Worker, type Job} from 'bullmq';
import {Redis} from 'ioredis';
import {packageVersion} from '../core/paths.js';
import {sayRefused} from './log-stream.js';
import {sayOutages} from './outage.js';
import {AttemptJob, QUEUE_NAME, logStreamKey, versionRefusal, workerName} from './protocol.js';
import {runQueuedAttempt} from './worker-attempt.js';
import {settleClose} from './settle-close.js';
import {WorkerClone} from './worker-clone.js';
import {reapWorkerOrphans} from './worker-orphans.js';

export type WorkerOptions = {
	url: string;
	remote: string;
	dir: string;
	concurrency: number;
	env: NodeJS.ProcessEnv;
	say: (line: string) => void;
	/** Jobs whose agents would run outside bubblewrap run anyway (their agents can read this worker's queue URL and git credentials). */
	unsandboxed?: boolean;
};

export type RunningWorker = {
	/** Resolves with the exit code once the worker has stopped (a refusal stops it with 2). */
	done: Promise<number>;
	/**
	 * Takes no new attempt. Gentle: the running ones finish first (a scale-down).
	 * Hard: their agents end now and their jobs go to another worker once their lock lapses.
	 */
	stop: (how: 'gentle' | 'hard') => Promise<void>;
};

/** How long a job stays this worker's without a renewal: after it a killed worker's job goes to another. */
const LOCK_MS = 15_000;

export async function startWorker(opts: WorkerOptions): Promise<RunningWorker> {
	const version = packageVersion();
	const host = hostname();
	const clone = new WorkerClone(opts.dir, opts.remote);
	const orphans = reapWorkerOrphans(clone.root);
	if (orphans.length > 0) opts.say(`proofloop worker: killed ${orphans.length} agent process(es) a previous worker in ${opts.dir} left: ${orphans.join(', ')}`);
	await clone.open();
	const connections: Redis[] = [];
	const open = () => {
		const redis = new Redis(opts.url, {maxRetriesPerRequest: null});
		connections.push(redis);
		return redis;
	};
	const redis = open();
	const agents = new Set<number>();
	let finish: (code: number) => void = () => {};
	const done = new Promise<number>(resolve => (finish = resolve));
	let code = 0;
	let gentle: Promise<void> | undefined;
	let hard: Promise<void> | undefined;
	const closed = async () => {
		// The last attempts' cleanup (git in the clone, a second at most) ends before the worker does.
		await Promise.race([clone.settled(), new Promise(resolve => setTimeout(resolve, 5000).unref())]);
		for (const connection of connections) connection.disconnect();
		finish(code);
	};
	const stop = (how: 'gentle' | 'hard'): Promise<void> => {
		if (how === 'gentle')
			return (gentle ??= (async () => {
				await settleClose(worker.close(), () => agents.size === 0 && redis.status !== 'ready');
				if (!hard) await closed();
			})());
		return (hard ??= (async () => {
			// Its agents end with the worker: no process of an attempt outlives it.
			for (const pid of agents) {
				try {
					process.kill(-pid, 'SIGKILL');
				} catch {
					// already gone
				}
			}
			await settleClose(worker.close(true), () => redis.status !== 'ready');
			await closed();
		})());
	};

	const processor = async (job: Job, token?: string) => {
		// The version first: another version's job may not parse as this one's schema, and is still not this worker's to fail.
		const raw = (job.data ?? {}) as {version?: unknown; attemptId?: unknown};
		if (typeof raw.version === 'string' && raw.version !== version) {
			const message = versionRefusal(version, raw.version, host);
			opts.say(`proofloop worker: ${message}`);
			if (typeof raw.attemptId === 'string') await sayRefused(redis, logStreamKey(raw.attemptId), message);
			// Back to the queue, unspent, for a worker of the coordinator's version; this one stops.
			await job.moveToDelayed(Date.now() + 500, token);
			code = 2;
			void stop('gentle');
			throw new DelayedError();
		}
		const parsed = AttemptJob.safeParse(job.data);
		if (!parsed.success) throw new UnrecoverableError(`not a proofloop attempt job: ${parsed.error.issues[0]?.message ?? 'invalid'}`);
		const data = parsed.data;
		opts.say(`proofloop worker: ${data.attemptId} (ticket ${data.ticket}, attempt ${data.attempt})`);
		let agent: number | undefined;
		try {
			const result = await runQueuedAttempt(data, {
				clone,
				redis,
				host,
				version,
				env: opts.env,
				unsandboxed: Boolean(opts.unsandboxed),
				onSpawn: pid => agents.add((agent = pid)),
			});
			opts.say(`proofloop worker: ${data.attemptId} done: agent ${result.agent.ok ? 'ok' : 'failed'}, head ${result.head?.slice(0, 7) ?? 'none'}`);
			return result;
		} finally {
			if (agent !== undefined) agents.delete(agent);
		}
	};
	const worker = new Worker(QUEUE_NAME, processor, {
		connection: open(),
		name: workerName(host, version),
		concurrency: opts.concurrency,
		lockDuration: LOCK_MS,
		stalledInterval: LOCK_MS,
		maxStalledCount: 3,
	});
	sayOutages(opts.url, redis, [...connections.slice(1), worker], line => opts.say(`proofloop worker: ${line}`));
	worker.on('failed', (job, error) => opts.say(`proofloop worker: ${job?.id ?? '?'} failed: ${error.message}`));
	await worker.waitUntilReady();
	return {done, stop};
}
