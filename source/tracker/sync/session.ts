import path from 'node:path';
import {currentLedgerTip, ledgerFiles} from '../../git/ledger.js';
import type {Ticket} from '../ticket.js';
import type {SyncConfig} from './config.js';
import {GitHubSource} from './github.js';
import {LinearSource} from './linear.js';
import {applyPull, SyncInputError, type PullResult} from './pull.js';
import {deliverActions, pendingActions, type PushResult} from './push.js';
import {queuedPushes, readQueue, writeQueue} from './queue.js';
import {actionKey, type PushAction, type RemoteState, type SyncSource} from './source.js';
import {readSyncState, saveSyncState, syncStateFile, type SyncState} from './state.js';
import {readTicketFiles} from './ticket-files.js';
import {githubToken, linearApiKey, MissingTokenError, TRACKER_TOKEN_VARS} from './token.js';

// One sync with the configured remote: pull, push, check. The commands and the
// run's hook both go through here.

export type SyncProject = {
	root: string;
	sync: SyncConfig;
	batch: string;
	trackerDir: string;
	agentEnv: {pass: string[]; set: Record<string, string>};
	version: string;
};

export type SyncSession = {project: SyncProject; source: SyncSource; state: SyncState; stateFile: string};

const allowedBy = (name: string, entry: string): boolean =>
	entry.endsWith('*') ? name.startsWith(entry.slice(0, -1)) : entry.endsWith('_') ? name.startsWith(entry) : name === entry;

/** Opens the remote; bad config or a token an agent would get is SyncInputError (exit 2, nothing written). */
export function openSync(project: SyncProject, env: NodeJS.ProcessEnv): SyncSession {
	const leaked = TRACKER_TOKEN_VARS.filter(name => name in project.agentEnv.set || project.agentEnv.pass.some(entry => allowedBy(name, entry)));
	if (leaked.length > 0)
		throw new SyncInputError(
			`.proofloop/config.json: agentEnv would hand agents ${leaked.join(', ')}, the tracker's token\n  fix: remove it from agentEnv.pass/set; only the sync reads it`,
		);
	let token: string;
	try {
		token = project.sync.type === 'linear' ? linearApiKey(env) : githubToken(env);
	} catch (error) {
		if (error instanceof MissingTokenError) throw new SyncInputError(error.message);
		throw error;
	}
	const stateFile = syncStateFile(project.root, project.sync.type);
	const state = readSyncState(stateFile);
	const pace = Number(env['PROOFLOOP_SYNC_PACE_MS']);
	const paced = Number.isFinite(pace) && pace >= 0 && env['PROOFLOOP_SYNC_PACE_MS'] !== undefined ? {pace} : {};
	const source =
		project.sync.type === 'linear'
			? new LinearSource(project.sync, {apiKey: token, ...paced})
			: new GitHubSource(project.sync, {token, userAgent: `proofloop/${project.version}`, cache: state.cache, ...paced});
	return {project, source, state, stateFile};
}

export async function syncPull(session: SyncSession, opts: {dryRun?: boolean} = {}): Promise<PullResult & {stateWritten: boolean}> {
	const {project, source, state} = session;
	const snapshot = await source.fetch();
	const mapping = {
		idPrefix: project.sync.idPrefix,
		lockLabels: project.sync.lockLabels,
		batchLabels: project.sync.batchLabels,
		batch: project.batch,
	};
	const result = await applyPull({root: project.root, dir: project.trackerDir, snapshot, mapping, state, ...(opts.dryRun ? {dryRun: true} : {})});
	const stateWritten = opts.dryRun ? false : await saveSyncState(session.stateFile, state);
	return {...result, stateWritten};
}

export type PushReport = PushResult & {queued: number; unproven: string[]};

/**
 * Deliver what the tickets call for and the remote lacks, plus every push
 * queued in a run directory. What the remote does not take is queued in
 * `queueIn` (the current run's directory), or left where it was queued.
 */
export async function syncPush(session: SyncSession, opts: {queueIn?: string} = {}): Promise<PushReport> {
	const {project, source, state} = session;
	const tickets = loadTickets(project);
	const runs = await runsOfMerges(project.root);
	const unproven: string[] = [];
	const fresh = pendingActions(
		tickets,
		state,
		source.name,
		(ticket, merge) => runs.get(`${ticket} ${merge}`),
		(ticket, merge) => unproven.push(`${ticket}: done with merge ${merge.slice(0, 7)}, which is not in the merge queue's record: not pushed`),
	);
	const queued = queuedPushes(path.join(project.root, '.proofloop', 'runs'));
	const byKey = new Map<string, PushAction>();
	for (const {entry} of queued) byKey.set(actionKey(entry.action), entry.action);
	for (const action of fresh) byKey.set(actionKey(action), action);
	const persist = () => saveSyncState(session.stateFile, state);
	const result = await deliverActions(source, [...byKey.values()], state, tickets, persist);
	// A filed ticket's issue exists only now: its own result (done, say) goes in the same push.
	if (result.delivered.some(a => a.kind === 'file') && !result.unavailable) {
		const more = await deliverActions(
			source,
			pendingActions(tickets, state, source.name, (ticket, merge) => runs.get(`${ticket} ${merge}`)),
			state,
			tickets,
			persist,
		);
		result.delivered.push(...more.delivered);
		result.failed.push(...more.failed);
		result.gone.push(...more.gone);
		if (more.unavailable) result.unavailable = more.unavailable;
	}
	await saveSyncState(session.stateFile, state);
	// Each old queue keeps only what is still undelivered; new failures go to this run's queue.
	const failedKeys = new Set(result.failed.map(f => actionKey(f.action)));
	const retryAt = result.unavailable ? new Date(result.unavailable.retryAt).toISOString() : undefined;
	const dirs = new Set(queued.map(q => q.runDir));
	for (const dir of dirs) {
		const keep = queued.filter(q => q.runDir === dir && failedKeys.has(actionKey(q.entry.action)) && dir !== opts.queueIn).map(q => q.entry);
		await writeQueue(dir, keep);
	}
	const oldKeys = new Set(queued.filter(q => q.runDir !== opts.queueIn).map(q => actionKey(q.entry.action)));
	const mine = result.failed.filter(f => !oldKeys.has(actionKey(f.action)));
	if (opts.queueIn)
		await writeQueue(
			opts.queueIn,
			mine.map(f => ({action: f.action, error: f.error, ...(retryAt ? {retryAt} : {})})),
		);
	return {...result, queued: result.failed.length, unproven};
}

/** Without asking the remote (it is unreachable until `retryAt`): queue in `runDir` every push the tickets call for. */
export async function queueWithoutPush(session: SyncSession, runDir: string, retryAt: number, why: string): Promise<number> {
	const {project, source, state} = session;
	const runs = await runsOfMerges(project.root);
	const fresh = pendingActions(loadTickets(project), state, source.name, (ticket, merge) => runs.get(`${ticket} ${merge}`));
	const entries = [...readQueue(runDir), ...fresh.map(action => ({action, error: why, retryAt: new Date(retryAt).toISOString()}))];
	await writeQueue(runDir, entries);
	return fresh.length;
}

export type Disagreement = {ticket: string; source: string; status: string; remote: RemoteState['state']; message: string};

/** Where the remote and the ticket files (what the oracle judges) disagree. */
export async function syncCheck(session: SyncSession): Promise<Disagreement[]> {
	const tickets = loadTickets(session.project).filter(t => t.source?.startsWith(`${session.source.name}#`) || t.source?.startsWith(`${session.source.name}:`));
	const states = new Map((await session.source.states(tickets.map(t => t.source!))).map(s => [s.key, s]));
	const out: Disagreement[] = [];
	for (const t of tickets) {
		const remote = states.get(t.source!);
		if (!remote) continue;
		const settled = t.status === 'done' || t.status === 'human_gated';
		const base = {ticket: t.id, source: t.source!, status: t.status, remote: remote.state};
		if (remote.state === 'closed' && !settled)
			out.push({
				...base,
				message: `${t.source} is closed on the remote, but ticket ${t.id} is ${t.status}: the oracle does not count it done (reopen the issue, or let the run finish it)`,
			});
		else if (remote.state === 'gone')
			out.push({...base, message: `${t.source} is ${remote.reason ?? 'gone'} on the remote; ticket ${t.id} (${t.status}) stays in the files`});
		else if (remote.state === 'open' && t.status === 'done')
			out.push({...base, message: `ticket ${t.id} is done, but ${t.source} is still open: \`proofloop sync push\` closes it`});
	}
	return out;
}

function loadTickets(project: SyncProject): Ticket[] {
	return readTicketFiles(project.root, project.trackerDir).flatMap(f => (f.ticket ? [f.ticket] : []));
}

// "<ticket> <merge>" -> the run that merged it, from the merge queue's ledger.
async function runsOfMerges(root: string): Promise<Map<string, string>> {
	const out = new Map<string, string>();
	try {
		const {merges} = await ledgerFiles(root, await currentLedgerTip(root));
		for (const line of merges.split('\n')) {
			if (!line.trim()) continue;
			const record = JSON.parse(line) as {ticket?: string; merge?: string; run?: string};
			if (record.ticket && record.merge && record.run) out.set(`${record.ticket} ${record.merge}`, record.run);
		}
	} catch {
		// No ledger yet, or not a repository: the comment goes without the run id.
	}
	return out;
}
