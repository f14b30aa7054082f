/**
 * The queue's plumbing failing (Redis, the git remote, a worker that could not
 * fetch or push, a job lost to its worker too often) is not the attempt's
 * failure: it is not charged. The ticket waits a little (as for a usage limit)
 * and the same attempt runs again, as a new job. A worker that refused the job
 * (its sandbox rule, a job it cannot read) stays charged, as does everything
 * the agent itself did; so does a fault that repeats past MAX_TRIES.
 */
import {Job, type Queue} from 'bullmq';
import type {AgentRunResult} from '../agents/runner.js';
import {runGit} from '../git/run.js';
import {attemptIdOf} from '../queue/protocol.js';
import type {AttemptExecutor} from './executor.js';

/** Uncharged goes per attempt, this many times in a row; then it is charged, with the fault as its reason. */
export const MAX_TRIES = 6;

/** A failure the attempt is charged for: the worker refused the job (BullMQ's UnrecoverableError on the worker). */
export class WorkerRefusal extends Error {}

/** Why the job failed on the worker, as the charged refusal or as a fault of the plumbing. */
export async function jobFailure(queue: Queue, attemptId: string, error: unknown): Promise<Error> {
	const message = `the worker failed attempt ${attemptId}: ${(error as Error).message}`;
	const job = await Job.fromId(queue, attemptId).catch(() => undefined);
	const refused = (job?.stacktrace ?? []).some(trace => typeof trace === 'string' && trace.startsWith('UnrecoverableError'));
	return refused ? new WorkerRefusal(message, {cause: error}) : new Error(message, {cause: error});
}

/** Whether the git remote answers at all (a ref it lacks is the worker's lie; a remote that does not answer is the network). */
export async function remoteAnswers(repoRoot: string, remote: string): Promise<boolean> {
	return (await runGit(repoRoot, ['ls-remote', '-q', remote, 'refs/proofloop/none'])).exitCode === 0;
}

/** Counts the plumbing's faults per attempt and says when one is still uncharged. */
export function faultCounter(): {next: (attemptId: string) => number | undefined; clear: (attemptId: string) => void} {
	const tries = new Map<string, number>();
	return {
		/** This fault's number for the attempt, or undefined once it is past MAX_TRIES (then it is charged). */
		next: attemptId => {
			const n = (tries.get(attemptId) ?? 0) + 1;
			tries.set(attemptId, n);
			return n > MAX_TRIES ? undefined : n;
		},
		clear: attemptId => void tries.delete(attemptId),
	};
}

/**
 * The agent's result for a fault of the plumbing: a limit, which the engine
 * does not charge and waits out (2, 4, 8 … 30 s). pid 0: no agent ran, and
 * none failed to start either (cannot-start.ts asks only when there is no pid).
 */
export function uncharged(reason: string, tryNumber: number): AgentRunResult {
	return {
		ok: false,
		reason: `not charged: ${reason} (the queue's fault, not the attempt's; try ${tryNumber} of ${MAX_TRIES})`,
		timedOut: false,
		durationMs: 0,
		pid: 0,
		usage: {inputTokens: 0, outputTokens: 0, costUsd: 0},
		limit: {retryAfterSeconds: Math.min(2 ** tryNumber, 30)},
	};
}

/** `executor` with the plumbing's faults uncharged: a limit the engine waits out, the same attempt again as a new job (`forget` drops the failed one). */
export function withUnchargedFaults(executor: AttemptExecutor, forget: (attemptId: string) => Promise<unknown> | undefined): AttemptExecutor {
	const faults = faultCounter();
	return {
		...executor,
		async implement(ctx, request) {
			const attemptId = attemptIdOf(ctx.run.id, request.ticket.id, request.attempt);
			try {
				const done = await executor.implement(ctx, request);
				faults.clear(attemptId);
				return done;
			} catch (error) {
				const n = error instanceof WorkerRefusal ? undefined : faults.next(attemptId);
				if (n === undefined) throw error;
				await Promise.resolve(forget(attemptId)).catch(() => {});
				return {agent: uncharged((error as Error).message, n), branch: async () => request.worktree.branch, commitLeftovers: async () => undefined};
			}
		},
	};
}

/**
 * Settles as the job does, read from the queue itself every `everyMs`: a
 * finish whose event never came, or a job that is gone (a Redis restarted
 * without its data), which would otherwise be waited for forever.
 */
export function watchJob(queue: Queue, attemptId: string, everyMs = 3000): {settled: Promise<unknown>; stop: () => void} {
	let timer: NodeJS.Timeout | undefined;
	let stopped = false;
	const settled = new Promise<unknown>((resolve, reject) => {
		const look = async () => {
			const job = await Job.fromId(queue, attemptId);
			if (!job) throw new Error(`the job of ${attemptId} is gone from the queue (a Redis restarted without its data?)`);
			const state = await job.getState();
			if (state === 'completed') return {value: job.returnvalue as unknown};
			if (state === 'failed') throw new Error(job.failedReason);
			return undefined;
		};
		const poll = () =>
			void look().then(
				done => (stopped ? undefined : done ? resolve(done.value) : (timer = setTimeout(poll, everyMs))),
				(error: unknown) => (stopped ? undefined : reject(error as Error)),
			);
		timer = setTimeout(poll, everyMs);
	});
	return {
		settled,
		stop: () => {
			stopped = true;
			clearTimeout(timer);
		},
	};
}
