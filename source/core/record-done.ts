import {LEDGER_REF} from '../git/ledger.js';
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
	if (result.foreignTip) {
		ctx.log.append({
			type: 'warning',
			ticket: done.ticket,
			message: `TAMPER: ${LEDGER_REF} is at ${result.foreignTip.slice(0, 12)}, not where the engine last wrote it: something else wrote the merge queue's ledger during the run (fix: inspect \`git log ${LEDGER_REF}\` and its reflog; only the engine writes that branch)`,
		});
	}
}
