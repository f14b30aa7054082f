import type {Ticket} from '../ticket.js';
import {actionKey, RemoteIssueGoneError, RemoteUnavailableError, type PushAction, type SyncSource} from './source.js';
import type {SyncState} from './state.js';

// results -> remote. What to push is a difference: each ticket's settled state
// as an action with a key, less the keys the remote already has (the state's
// `delivered`). So a push writes only what the remote lacks, and two pushes in
// a row make no second write.

/** Every action the tickets call for that the remote does not have yet. */
export function pendingActions(
	tickets: readonly Ticket[],
	state: SyncState,
	source: string,
	runOf: (ticket: string, merge: string) => string | undefined,
	/** Told of a done whose merge the merge queue never recorded: not pushed (a forged done never closes an issue). */
	unproven: (ticket: string, merge: string) => void = () => {},
): PushAction[] {
	const ours = (key: string | undefined): key is string => key !== undefined && (key.startsWith(`${source}#`) || key.startsWith(`${source}:`));
	const sourceOf = (t: Ticket): string | undefined => t.source ?? state.created[t.id];
	const out: PushAction[] = [];
	for (const t of tickets) {
		const key = sourceOf(t);
		if (ours(key)) {
			if (t.status === 'done' && t.merge_commit && t.verify_digest) {
				// The oracle's evidence of done is the merge queue's record, not the ticket file: a done without it stays unpushed.
				const runId = runOf(t.id, t.merge_commit);
				if (runId === undefined) {
					unproven(t.id, t.merge_commit);
					continue;
				}
				out.push({
					kind: 'done',
					ticket: t.id,
					source: key,
					mergeCommit: t.merge_commit,
					verifyDigest: t.verify_digest,
					runId,
					...(t.done_at ? {doneAt: t.done_at} : {}),
				});
			} else if (t.status === 'human_gated' && t.gate) {
				out.push({kind: 'gated', ticket: t.id, source: key, ...t.gate});
			} else if (t.status === 'failed') {
				out.push({
					kind: 'failed',
					ticket: t.id,
					source: key,
					reasons: t.failure ?? 'no reason recorded',
					...(t.attempts === undefined ? {} : {attempts: t.attempts}),
				});
			} else if (t.status === 'blocked' && t.block) {
				const reasons = `wall: ${t.block.wall}\ntried: ${t.block.tried}\nevidence: ${t.block.evidence}`;
				out.push({kind: 'blocked', ticket: t.id, source: key, reasons, ...(t.attempts === undefined ? {} : {attempts: t.attempts})});
			}
			continue;
		}
		// Work a worker filed from a synced ticket becomes an issue of its own.
		const parent = t.discovered_from === undefined ? undefined : tickets.find(p => p.id === t.discovered_from);
		if (key === undefined && t.filed_by_run && parent && ours(sourceOf(parent))) {
			const blocks = tickets.filter(o => o.deps.includes(t.id)).map(o => o.id);
			out.push({kind: 'file', ticket: t.id, title: t.title, body: t.body, blockedBy: t.deps, blocks, runId: t.filed_by_run});
		}
	}
	return out.filter(a => state.delivered[actionKey(a)] === undefined);
}

export type PushResult = {
	delivered: PushAction[];
	failed: Array<{action: PushAction; error: string}>;
	/** Actions whose issue is gone from the remote (deleted mid-run): said once, never retried. */
	gone: Array<{action: PushAction; error: string}>;
	unavailable?: {message: string; retryAt: number};
};

/**
 * Deliver in order (filings first, so the issues they make can be named by the
 * rest), recording each in `state` as it lands. A remote that cannot be reached
 * stops the push: what is left is returned as failed, to be queued.
 */
export async function deliverActions(
	source: SyncSource,
	actions: readonly PushAction[],
	state: SyncState,
	tickets: readonly Ticket[],
	/** Saves the state after each delivery: a push cut short (the run's end, a kill) never files the same issue twice. */
	persist: () => Promise<unknown> = async () => {},
): Promise<PushResult> {
	const ordered = [...actions.filter(a => a.kind === 'file'), ...actions.filter(a => a.kind !== 'file')];
	const resolve = (ticket: string): string | undefined => tickets.find(t => t.id === ticket)?.source ?? state.created[ticket];
	const result: PushResult = {delivered: [], failed: [], gone: []};
	for (const [i, action] of ordered.entries()) {
		const key = actionKey(action);
		if (state.delivered[key] !== undefined) continue;
		try {
			// An issue filed by a push cut short before its links: made once, never again (its links are not retried).
			const made = action.kind === 'file' ? state.created[action.ticket] : undefined;
			const onCreated = async (created: string) => {
				state.created[action.ticket] = created;
				await persist();
			};
			const {created} = made ? {created: made} : await source.deliver(action, resolve, onCreated);
			if (created) state.created[action.ticket] = created;
			state.delivered[key] = new Date().toISOString();
			result.delivered.push(action);
			await persist();
		} catch (error) {
			if (error instanceof RemoteIssueGoneError) {
				// Recorded, so no later push asks again; `sync check` keeps naming the issue gone.
				state.delivered[key] = `gone ${new Date().toISOString()}: ${error.message}`;
				result.gone.push({action, error: error.message});
				await persist();
				continue;
			}
			if (error instanceof RemoteUnavailableError) {
				result.unavailable = {message: error.message, retryAt: error.retryAt};
				result.failed.push(...ordered.slice(i).map(a => ({action: a, error: error.message})));
				return result;
			}
			result.failed.push({action, error: (error as Error).message});
		}
	}
	return result;
}
