import {LEDGER_REF, ledgerMovedBySomeoneElse, watchLedger} from '../git/ledger.js';
import type {EngineContext} from './context.js';

/**
 * Record a finished ticket in the merge queue's ledger, the evidence the
 * oracle requires besides the trailered merge on base. Called after the
 * ticket.done event and before the ticket file says done, so a crash between
 * is redone on resume (the append is idempotent: never a duplicate line).
 */
export async function recordDone(ctx: EngineContext, done: {ticket: string; attempt: number; merge: string; digest: string}): Promise<void> {
	const result = await ctx.repo.recordMerge({
		ticket: done.ticket,
		attempt: done.attempt,
		merge: done.merge,
		verify_digest: `sha256:${done.digest}`,
		run: ctx.run.id,
		at: new Date().toISOString(),
	});
	if (result.foreignTip) ledgerTamper(ctx, result.foreignTip);
}

const ledgerTamper = (ctx: EngineContext, tip: string) =>
	ctx.log.append({
		type: 'warning',
		message: `TAMPER: ${LEDGER_REF} is at ${tip.slice(0, 12)}, not where the engine last saw or wrote it: something else wrote the merge queue's ledger during the run, and the oracle reads what is there (fix: inspect \`git log -p ${LEDGER_REF}\` and \`git reflog ${LEDGER_REF}\`, and reset it to the engine's last commit; only the engine writes that branch)`,
	});

/** At the start of a run: where the ledger is. */
export function watchTheLedger(ctx: EngineContext): Promise<void> {
	return watchLedger(ctx.repoRoot);
}

/** Before the final verdict: a ledger moved by anyone but the engine is said out loud. */
export async function checkTheLedger(ctx: EngineContext): Promise<void> {
	const moved = await ledgerMovedBySomeoneElse(ctx.repoRoot).catch(() => undefined);
	if (moved) ledgerTamper(ctx, moved);
}
