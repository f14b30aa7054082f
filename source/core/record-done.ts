import {LedgerMovedError, ledgerMovedBySomeoneElse, watchLedger} from '../git/ledger.js';
import type {EngineContext} from './context.js';

/**
 * Record a finished ticket in the merge queue's ledger, the evidence the
 * oracle requires besides the trailered merge on base. Called after the
 * ticket.done event and before the ticket file says done, so a crash between
 * is redone on resume (the append is idempotent: never a duplicate line).
 * A ledger someone else moved throws LedgerMovedError (the run watch halts the run).
 */
export async function recordDone(ctx: EngineContext, done: {ticket: string; attempt: number; merge: string; digest: string}): Promise<void> {
	await ctx.repo.recordMerge({
		ticket: done.ticket,
		attempt: done.attempt,
		merge: done.merge,
		verify_digest: `sha256:${done.digest}`,
		run: ctx.run.id,
		at: new Date().toISOString(),
	});
}

/** At the start of a run: where the ledger is. */
export function watchTheLedger(ctx: EngineContext): Promise<void> {
	return watchLedger(ctx.repoRoot);
}

/** Before the final verdict: a ledger moved by anyone but the engine is said out loud. */
export async function checkTheLedger(ctx: EngineContext): Promise<void> {
	const moved = await ledgerMovedBySomeoneElse(ctx.repoRoot).catch(() => undefined);
	if (moved) ctx.log.append({type: 'warning', message: new LedgerMovedError(moved).message});
}
