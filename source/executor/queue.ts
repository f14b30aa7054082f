/**
 * The queue executor: the implement stage of each attempt as a BullMQ job a
 * `proofloop worker` anywhere takes. Base and the attempt's start go to the
 * shared git remote first; the worker's head comes back from there, and is
 * taken only when it is the sha the result claims. Everything after (checks,
 * guard, review, merge, verify) runs here, as for a local attempt.
 */
import {randomBytes} from 'node:crypto';
import {existsSync, readdirSync, readFileSync} from 'node:fs';
import path from 'node:path';
import {Job, Queue, QueueEvents} from 'bullmq';
import {Redis} from 'ioredis';
import type {AgentRunResult} from '../agents/runner.js';
import {runGit} from '../git/run.js';
import {briefStderr} from '../git/errors.js';
import {agentOf, type ProjectConfig} from '../core/config.js';
import {budgetOf, type EngineContext} from '../core/context.js';
import {profileFor} from '../core/routing.js';
import {packageVersion} from '../core/paths.js';
import {savedDiffFile} from '../core/fresh-attempt.js';
import {followLog} from '../queue/log-stream.js';
import {sayOutages} from '../queue/outage.js';
import {watchSilence} from './queue-silence.js';
import {mustHavePushed, pushLane} from './remote-pushes.js';
import {gitLane} from '../queue/git-lane.js';
import type {GitResult} from '../git/run.js';
import {VerbsRelay} from './verbs-relay.js';
import {jobFailure, remoteAnswers, watchJob, withUnchargedFaults} from './queue-faults.js';
import {withAgentCaps} from './queue-caps.js';
import {AttemptJob, AttemptResult, QUEUE_NAME, attemptIdOf, baseRef, logStreamKey, resultRef, startRef, versionRefusal} from '../queue/protocol.js';
import type {AttemptExecutor, ImplementRequest, Implemented} from './executor.js';

type Lane = (refspecs: string[]) => Promise<GitResult>;
type Connected = {queue: Queue; events: QueueEvents; redis: Redis; connections: Redis[]; verbs: VerbsRelay};

const KEEP = {age: 24 * 3600};

/** The config subset a worker needs: the attempt's agent (its routed profile's, else the "agent"), the sandbox and the agent environment. */
function workerConfig(config: ProjectConfig, ticket: ImplementRequest['ticket'], attempt: number): AttemptJob['config'] {
	const profile = profileFor(config, ticket, attempt);
	const agent = (profile !== undefined ? config.engines[profile] : undefined) ?? agentOf(config);
	return {
		agent,
		sandbox: config.sandbox,
		sandboxPaths: config.sandboxPaths,
		agentEnv: config.agentEnv,
		attemptTimeoutSeconds: config.attemptTimeoutSeconds,
		trackerDir: config.tracker.dir,
	};
}

/** An earlier attempt's saved diffs the prompt names (fresh-attempt.ts): they travel with the job, as the prompt does (at most 8 MiB). */
function promptFiles(ctx: EngineContext, ticket: string, prompt: string): AttemptJob['files'] {
	const dir = path.dirname(savedDiffFile(ctx.run.dir, ticket, 1));
	const names = existsSync(dir) ? readdirSync(dir).filter(name => prompt.includes(path.join(dir, name))) : [];
	let room = 8 * 1024 * 1024;
	return names.flatMap(name => {
		const content = readFileSync(path.join(dir, name), 'utf8');
		room -= content.length;
		return room < 0 ? [] : [{path: path.join(dir, name), name, content}];
	});
}

/** The agent's result as a refusal: nothing of the worker's is taken, and the attempt fails at implement with this reason. */
const refused = (reason: string, durationMs: number): AgentRunResult => ({
	ok: false,
	reason,
	timedOut: false,
	durationMs,
	usage: {inputTokens: 0, outputTokens: 0, costUsd: 0},
});

export function queueExecutor(opts: {url: string; remote: string}): AttemptExecutor {
	let connected: Promise<Connected> | undefined;
	// Starts (with base) and drops in lanes of their own: a wave's starts go in one push, and no drop or fetch holds them up.
	let lanes: {starts: Lane; drops: Lane; results: Lane} | undefined;
	const lanesOf = (ctx: EngineContext) =>
		(lanes ??= {
			starts: pushLane(ctx.repoRoot, opts.remote),
			drops: pushLane(ctx.repoRoot, opts.remote),
			// Results that come in together are fetched together (each its own ref, written only here).
			results: gitLane(ctx.repoRoot, ['fetch', '-q', '--no-tags', '--no-write-fetch-head', '--no-auto-maintenance', opts.remote]),
		});
	const connect = (ctx: EngineContext): Promise<Connected> =>
		(connected ??= (async () => {
			const open = () => new Redis(opts.url, {maxRetriesPerRequest: null});
			const connections = [open(), open(), open()];
			const [forQueue, forEvents, redis] = connections as [Redis, Redis, Redis];
			const queue = new Queue(QUEUE_NAME, {connection: forQueue});
			const events = new QueueEvents(QUEUE_NAME, {connection: forEvents});
			sayOutages(opts.url, redis, [forQueue, forEvents, queue, events], message => ctx.log.append({type: 'warning', message}));
			await events.waitUntilReady();
			// `proofloop ticket` from remote attempts (verbs-relay.ts), on a connection of its own.
			return {queue, events, redis, connections, verbs: new VerbsRelay(ctx, open(), queue)};
		})());

	/** Base (as the merge queue left it) and the attempt's start, on the remote before the job exists, under refs only this run writes: a push to the remote's own branches moves neither. */
	const pushStart = async (ctx: EngineContext, attemptId: string, start: string) =>
		mustHavePushed(
			await lanesOf(ctx).starts([`+refs/heads/${ctx.config.base}:${baseRef(ctx.config.base)}`, `+${start}:${startRef(attemptId, start)}`]),
			`pushing ${ctx.config.base} and the start of ${attemptId} to ${opts.remote} failed`,
			`check that ${opts.remote} is reachable and this machine may push to it`,
		);

	/** The worker's pushed head, into this repository (no push waits for it, nor it for a push). */
	const fetchResult = (ctx: EngineContext, ref: string) => lanesOf(ctx).results([`+${ref}:${ref}`]);

	/** The job's result, or undefined when the run stops first (the job stays for a resumed run: same attempt, same job). */
	async function outcome(ctx: EngineContext, c: Connected, job: Job): Promise<unknown> {
		let stopTimer: NodeJS.Timeout | undefined;
		const stopped = new Promise<undefined>(resolve => {
			const poll = () => (ctx.stopping() ? resolve(undefined) : (stopTimer = setTimeout(poll, 300)));
			poll();
		});
		const watch = watchJob(c.queue, job.id ?? '');
		try {
			return await Promise.race([job.waitUntilFinished(c.events), stopped, watch.settled]);
		} finally {
			clearTimeout(stopTimer);
			watch.stop();
		}
	}

	const executor: AttemptExecutor = {
		kind: 'queue',
		async implement(ctx, {ticket, attempt, promptFile, worktree, logFile}): Promise<Implemented> {
			const c = await connect(ctx);
			const started = Date.now();
			const attemptId = attemptIdOf(ctx.run.id, ticket.id, attempt);
			const start = (await ctx.repo.revParse(`refs/heads/${worktree.branch}`)) ?? '';
			await pushStart(ctx, attemptId, start);
			const prompt = readFileSync(promptFile, 'utf8');
			const data: AttemptJob = {
				version: packageVersion(),
				runId: ctx.run.id,
				attemptId,
				ticket: ticket.id,
				attempt,
				maxAttempts: budgetOf(ctx, ticket.id),
				base: ctx.config.base,
				branch: worktree.branch,
				startSha: start,
				prompt,
				files: promptFiles(ctx, ticket.id, prompt),
				config: workerConfig(ctx.config, ticket, attempt),
				capability: randomBytes(32).toString('hex'),
			};
			const silence = watchSilence(ctx, ticket.id, attempt, attemptId);
			const follow = followLog(c.redis, logStreamKey(attemptId), logFile, {
				host: host => {
					silence.heard(host);
					ctx.log.append({type: 'agent.remote', ticket: ticket.id, attempt, host});
				},
				refused: message => ctx.log.append({type: 'warning', ticket: ticket.id, message}),
				lines: () => silence.heard(),
			});
			// The attempt id is the job id: adding it again (a resumed run) finds the same job, never a second one.
			const added = await c.queue.add('attempt', data, {jobId: attemptId, attempts: 1, removeOnComplete: KEEP, removeOnFail: KEEP});
			// The job as the queue holds it: a resumed run finds the one it added before, maybe done while it was away.
			const job = (await Job.fromId(c.queue, attemptId)) ?? added;
			const jobStart = AttemptJob.safeParse(job.data).data?.startSha ?? start;
			// A worker that stopped renewing the job's lock (killed, cut off): BullMQ hands the job to another, uncharged.
			const onStalled = ({jobId}: {jobId: string}) => {
				if (jobId === attemptId)
					ctx.log.append({
						type: 'warning',
						ticket: ticket.id,
						message: `the worker running ${attemptId} was lost (its lock lapsed): the attempt is back in the queue`,
					});
			};
			c.events.on('stalled', onStalled);
			// Its requests are answered with the capability of the job as the queue holds it (a resumed run's worker has the first one's).
			const verbs = await c.verbs.register(attemptId, ticket.id, attempt, job.data);
			let raw: unknown;
			try {
				raw = await outcome(ctx, c, job);
			} catch (error) {
				await verbs.close(true);
				c.events.off('stalled', onStalled);
				silence.stop();
				await follow.finish(0);
				throw await jobFailure(c.queue, attemptId, error);
			}
			await verbs.close(raw !== undefined);
			c.events.off('stalled', onStalled);
			silence.stop();
			// The log's tail and the head come from two places: waited for together.
			const ref = resultRef(attemptId);
			const claimed = AttemptResult.safeParse(raw).data;
			const fetchNow = claimed?.attemptId === attemptId && claimed.version === packageVersion() && claimed.branch === worktree.branch && claimed.head;
			const [, early] = await Promise.all([follow.finish(raw === undefined ? 0 : 5000), fetchNow ? fetchResult(ctx, ref) : undefined]);
			const nothing: Implemented = {agent: undefined, branch: async () => worktree.branch, commitLeftovers: async () => undefined};
			if (raw === undefined) return nothing;
			const parsed = AttemptResult.safeParse(raw);
			if (!parsed.success || parsed.data.attemptId !== attemptId) {
				return {...nothing, agent: refused(`refused: the result of ${attemptId} is not a proofloop attempt result`, Date.now() - started)};
			}
			const result = parsed.data;
			// The worker's own handshake refuses another version; a worker that skips it is refused here.
			if (result.version !== packageVersion())
				return {...nothing, agent: refused(`refused: ${versionRefusal(result.version, packageVersion(), result.host)}`, Date.now() - started)};
			const {logError, ...agentResult} = result.agent;
			const agent: AgentRunResult = {...agentResult, ...(logError ? {logError: new Error(logError)} : {})};
			const onBranch = async () => result.branch;
			if (result.branch !== worktree.branch || !result.head) return {agent, branch: onBranch, commitLeftovers: async () => undefined};
			// The worker's word is its result; the head is what the remote holds. They must be the same commit.
			const fetch = early ?? (await fetchResult(ctx, ref));
			let fetched = fetch.exitCode === 0 ? (await runGit(ctx.repoRoot, ['rev-parse', '--verify', '-q', `${ref}^{commit}`])).stdout.trim() : '';
			// A run resumed after its fetch (the refs already dropped) holds the commit itself: pinned by its id, judged the same.
			if (!fetched && (await runGit(ctx.repoRoot, ['cat-file', '-e', `${result.head}^{commit}`])).exitCode === 0) fetched = result.head;
			// The attempt's refs are done with, here and on the remote (the branch holds the head from now on).
			const dropRefs = async () => {
				await runGit(ctx.repoRoot, ['update-ref', '-d', ref]);
				await lanesOf(ctx).drops([`:${ref}`, ...[...new Set([jobStart, start])].map(sha => `:${startRef(attemptId, sha)}`)]);
			};
			if (!fetched && !(await remoteAnswers(ctx.repoRoot, opts.remote))) throw new Error(`fetching ${ref} failed: ${briefStderr(fetch.stderr)}`);
			if (fetched !== result.head) {
				ctx.chore(`dropping the queue refs of ${attemptId}`, dropRefs());
				const why = fetched ? `${ref} on the remote is ${fetched.slice(0, 7)}` : `${ref} could not be fetched from the remote (${briefStderr(fetch.stderr)})`;
				const reason = `refused: worker ${result.host} claimed head ${result.head.slice(0, 7)}, but ${why}; nothing of it is taken`;
				ctx.log.append({type: 'warning', ticket: ticket.id, message: reason});
				return {agent: {...agent, ok: false, reason, limit: undefined}, branch: onBranch, commitLeftovers: async () => undefined};
			}
			// The checkout here now holds exactly the worker's head, for the checks, the guard and the merge.
			await ctx.repo.restoreCheckout(worktree.path, worktree.branch, result.head);
			ctx.chore(`dropping the queue refs of ${attemptId}`, dropRefs());
			const head = result.head;
			return {agent, branch: onBranch, commitLeftovers: async () => (result.leftover ? head : undefined)};
		},
		async close() {
			if (!connected) return;
			const c = await connected.catch(() => undefined);
			if (!c) return;
			await c.verbs.close();
			await c.events.close().catch(() => {});
			await c.queue.close().catch(() => {});
			for (const connection of c.connections) connection.disconnect();
		},
	};
	// A failed job goes before the retry: kept a day, it would fail the same attempt id again at once.
	return withUnchargedFaults(withAgentCaps(executor), id => connected?.then(c => c.queue.remove(id)));
}
