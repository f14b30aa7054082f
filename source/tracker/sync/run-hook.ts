import {findResumableRun} from '../../core/run-dir.js';
import {isStale, readLock} from '../../core/run-lock.js';
import type {SyncConfig} from './config.js';
import {openSync, queueWithoutPush, syncPull, syncPush, type SyncProject, type SyncSession} from './session.js';
import {RemoteUnavailableError} from './source.js';
import {TRACKER_TOKEN_VARS} from './token.js';
import {PullGuard} from './pull-guard.js';
import path from 'node:path';

export {PullGuard};

// The run's side of the sync: a pull before the run starts, pushes as tickets
// settle. Pushes are chained one at a time beside the run and never awaited by
// dispatch; a remote that cannot be reached is a warning with the retry time,
// and what it did not take stays queued in the run directory.

type Log = {append(event: {type: 'warning'; message: string}): unknown; subscribe(listener: (event: {type: string; status?: string}) => void): () => void};

const SETTLED = new Set(['done', 'failed', 'blocked', 'human_gated']);
const at = (ms: number): string => new Date(ms).toISOString().replace(/\.\d+Z$/, 'Z');

export type RunSync = {attach(log: Log, runDir: string): void; settle(timeoutMs?: number): Promise<void>};

/**
 * Before a new run (not a resume: its tickets are pinned): pull. Bad config, a
 * missing token or a remote cycle throws (exit 2, nothing written); an
 * unreachable remote is a warning and the run goes on with the files as they are.
 */
export async function syncBeforeRun(opts: {
	root: string;
	config: {sync?: SyncConfig; batch: string; tracker: {dir: string}; agentEnv: {pass: string[]; set: Record<string, string>}};
	env: NodeJS.ProcessEnv;
	version: string;
	/** Takes a snapshot before the pull, so the caller can undo it when the run then refuses to start. */
	guard?: PullGuard;
}): Promise<RunSync | undefined> {
	const {config} = opts;
	if (!config.sync) return undefined;
	const project: SyncProject = {
		root: opts.root,
		sync: config.sync,
		batch: config.batch,
		trackerDir: config.tracker.dir,
		agentEnv: config.agentEnv,
		version: opts.version,
	};
	const session = openSync(project, opts.env);
	// The token now lives in the session alone: the engine's own environment drops it, so nothing it starts inherits it.
	if (opts.env === process.env) for (const name of TRACKER_TOKEN_VARS) delete process.env[name];
	const notes: string[] = [];
	let pausedUntil = 0;
	let unreachable: string | undefined;
	// A resumed run keeps its pinned tickets; a run going now is their only writer (its start refuses this one).
	const lock = readLock(opts.root);
	const busy = (lock !== undefined && !isStale(lock)) || findResumableRun(opts.root) !== undefined;
	if (!busy) {
		opts.guard?.snapshot(path.join(opts.root, config.tracker.dir), session.stateFile);
		try {
			const pulled = await syncPull(session);
			opts.guard?.pulled(path.join(opts.root, config.tracker.dir), session.stateFile);
			notes.push(...pulled.warnings.map(w => `sync: ${w}`));
		} catch (error) {
			if (!(error instanceof RemoteUnavailableError)) throw error;
			pausedUntil = error.retryAt;
			unreachable = error.message;
			notes.push(`sync pull skipped: ${error.message}; the run goes on with the ticket files as they are; retry at ${at(error.retryAt)} (proofloop sync pull)`);
		}
	}
	return hook(
		session,
		notes,
		() => pausedUntil,
		until => (pausedUntil = until),
		unreachable,
		() => opts.guard?.keep(),
	);
}

function hook(
	session: SyncSession,
	notes: string[],
	pausedUntil: () => number,
	pause: (until: number) => void,
	unreachable: string | undefined,
	started: () => void,
): RunSync {
	let chain: Promise<void> = Promise.resolve();
	let log: Log | undefined;
	let runDir = '';
	let closed = false;
	let wanted = false;
	const warn = (message: string) => {
		if (!closed) log?.append({type: 'warning', message});
	};
	let why = unreachable ?? 'the remote could not be reached';
	const push = async (final: boolean): Promise<void> => {
		wanted = false;
		if (Date.now() < pausedUntil()) {
			// Not asked again before its retry time; at the run's end what it lacks is queued here for the next sync.
			if (final) {
				const queued = await queueWithoutPush(session, runDir, pausedUntil(), why).catch(() => 0);
				if (queued > 0)
					warn(
						`sync push: ${queued} result(s) queued in ${runDir}/sync-queue.json (${why}); retry at ${at(pausedUntil())} with proofloop sync push, or the next run`,
					);
			}
			return;
		}
		try {
			const result = await syncPush(session, {queueIn: runDir});
			if (result.unavailable) {
				pause(result.unavailable.retryAt);
				why = result.unavailable.message;
				warn(
					`sync push: ${result.unavailable.message}; ${result.queued} queued in ${runDir}/sync-queue.json, retried at ${at(result.unavailable.retryAt)}, on the next run or by proofloop sync push`,
				);
			}
			for (const f of result.failed) if (!result.unavailable) warn(`sync push of ${f.action.kind} for ${f.action.ticket} failed: ${f.error}`);
			for (const g of result.gone) warn(`sync push of ${g.action.kind} for ${g.action.ticket}: ${g.error}; not retried (proofloop sync check names it)`);
		} catch (error) {
			warn(`sync push failed: ${(error as Error).message.split('\n')[0]}; retried on the next settle, run or proofloop sync push`);
		}
	};
	const schedule = (final = false) => {
		if (closed || (wanted && !final)) return;
		wanted = true;
		chain = chain.then(() => push(final));
	};
	return {
		attach(runLog, dir) {
			started();
			log = runLog;
			runDir = dir;
			for (const note of notes) warn(note);
			runLog.subscribe(event => {
				if ((event.type === 'ticket.status' && SETTLED.has(event.status ?? '')) || event.type === 'ticket.filing.done') schedule();
			});
			// What earlier runs queued goes out now.
			schedule();
		},
		async settle(timeoutMs = 15_000) {
			schedule(true);
			const finished = await Promise.race([chain.then(() => true), new Promise<false>(resolve => setTimeout(() => resolve(false), timeoutMs).unref())]);
			// Not lost: the next sync push works out again what the remote lacks.
			if (!finished)
				warn(
					`sync push still going after ${Math.round(timeoutMs / 1000)} s at the run's end; what it did not deliver goes out with proofloop sync push or the next run`,
				);
			closed = true;
		},
	};
}
