/**
 * What travels through the queue between the coordinator (`proofloop run` with
 * "executor": {"kind": "queue"}) and `proofloop worker`: one job per attempt,
 * its result, and the refs both sides use on the shared git remote. Nothing
 * secret: no token, no Redis URL, no environment of the coordinator.
 */
import {z} from 'zod';

export const QUEUE_NAME = 'proofloop-attempts';

/** A worker's BullMQ name (Redis CLIENT SETNAME: no spaces), what doctor lists: host@version. */
export const workerName = (host: string, version: string): string => `${host}@${version}`;

const sha = z.string().regex(/^[0-9a-f]{40}$/, 'a full commit sha');
// As git/worktrees.ts checkName allows for ticket ids (and run ids are of the same letters).
const name = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$/, 'a ticket or run id');

/** The part of the project config a worker needs to run the agent as a local attempt would (validated again there). */
export const WorkerConfig = z.object({
	agent: z.record(z.string(), z.unknown()),
	sandbox: z.string(),
	sandboxPaths: z.object({writable: z.array(z.string()), readable: z.array(z.string())}),
	agentEnv: z.object({pass: z.array(z.string()), set: z.record(z.string(), z.string())}),
	attemptTimeoutSeconds: z.number(),
	trackerDir: z.string(),
});
export type WorkerConfig = z.infer<typeof WorkerConfig>;

export const AttemptJob = z.object({
	/** The coordinator's proofloop version: a worker of another version refuses the job (handshake). */
	version: z.string(),
	runId: name,
	/** The job id too: one attempt is one job, whatever completes it twice. */
	attemptId: z.string(),
	ticket: name,
	attempt: z.number().int().min(1),
	maxAttempts: z.number().int().min(1),
	/** The base branch, as the coordinator last pushed it (an agent may read or merge it, as in a local checkout). */
	base: z.string().min(1),
	/** The branch the prompt names; the worker's checkout carries the same. */
	branch: z.string().min(1),
	/** Where the attempt starts (the coordinator's prepared checkout), pushed to startRef. */
	startSha: sha,
	prompt: z.string(),
	/** Files the prompt names by the coordinator's path (an earlier attempt's saved diff): the worker puts them beside its prompt and names its own path. */
	files: z.array(z.object({path: z.string(), name: z.string().regex(/^[A-Za-z0-9_.-]+$/), content: z.string()})).default([]),
	config: WorkerConfig,
	/** The attempt's own secret: its worker sends it with each \`proofloop ticket\` request (queue/remote-verbs.ts). */
	capability: z.string().regex(/^[0-9a-f]{64}$/, 'an attempt capability'),
});
export type AttemptJob = z.infer<typeof AttemptJob>;

const usage = z.object({inputTokens: z.number(), outputTokens: z.number(), costUsd: z.number()});

/** The agent's run as the worker saw it (runner.ts AgentRunResult, with the log error as text). */
export const RemoteAgentResult = z.object({
	ok: z.boolean(),
	reason: z.string(),
	exitCode: z.number().optional(),
	signal: z.string().optional(),
	timedOut: z.boolean(),
	durationMs: z.number(),
	usage,
	lastText: z.string().optional(),
	limit: z.object({resetAt: z.string().optional(), retryAfterSeconds: z.number().optional()}).optional(),
	sessionId: z.string().optional(),
	/** On the worker's machine: says only that the agent started (cannot-start.ts), never a process to reap here. */
	pid: z.number().optional(),
	logError: z.string().optional(),
});

export const AttemptResult = z.object({
	version: z.string(),
	attemptId: z.string(),
	host: z.string(),
	agent: RemoteAgentResult,
	/** The branch the agent left its checkout on; undefined: a detached HEAD. */
	branch: z.string().optional(),
	/** Pushed to resultRef, when the checkout stayed on its branch. */
	head: sha.optional(),
	/** Whether the worker committed leftovers (the head is then that commit). */
	leftover: z.boolean(),
});
export type AttemptResult = z.infer<typeof AttemptResult>;

/** One attempt's id: the job id, the refs' and the log stream's name. BullMQ refuses ':' in job ids. */
export const attemptIdOf = (runId: string, ticket: string, attempt: number): string => `${runId}/${ticket}/a${attempt}`;
/** By its sha too: a resumed run pushing the same attempt's new start leaves a waiting job's own start where it was. */
export const startRef = (attemptId: string, sha: string): string => `refs/proofloop/start/${attemptId}/${sha}`;
export const resultRef = (attemptId: string): string => `refs/proofloop/result/${attemptId}`;
/** Base as the coordinator's merge queue left it: the remote's own branches are anyone's to push. */
export const baseRef = (base: string): string => `refs/proofloop/base/${base}`;
export const logStreamKey = (attemptId: string): string => `proofloop:log:${attemptId}`;

/** The message of the leftover commit, the same here and on a worker (attempt.ts writes it for local attempts). */
export const leftoverMessage = (ticket: string, attempt: number): string => `${ticket}: work left uncommitted by attempt ${attempt}\n\nCommitted-By: proofloop`;

/** A Redis URL with its password hidden, for what is printed. */
export const redactUrl = (url: string): string => url.replace(/\/\/([^@/]*)@/, '//***@');

/** Why a worker of another version takes no job (both versions named). */
export const versionRefusal = (worker: string, coordinator: string, host: string): string =>
	`worker ${host} runs proofloop ${worker}, the coordinator ${coordinator}: refused (install proofloop ${coordinator} on the worker)`;
