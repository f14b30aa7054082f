import type {AttemptOutcome} from './attempt.js';
import {cannotStartFix} from './cannot-start.js';
import type {EngineContext} from './context.js';
import type {EngineState} from './engine-state.js';
import type {RunLedger} from './run-ledger.js';

/** What settling an attempt reads and writes of the engine running it. */
export type SettleHost = {ctx: EngineContext; state: EngineState; ledger: RunLedger; wakeAt: (until: number) => void};

/**
 * What an attempt's outcome writes, in the log first and then the ticket:
 * done and after-merge interruptions stay open for verify; interrupted, limited
 * and parked attempts are not charged; a failure counts toward the budget and the repeat detector.
 */
export async function settleOutcome(host: SettleHost, id: string, attempt: number, outcome: AttemptOutcome): Promise<void> {
	const {ctx, state, ledger} = host;
	// Done; or interrupted after the merge landed: the attempt stays open so a resume continues it at verify.
	if (outcome.kind === 'done' || (outcome.kind === 'interrupted' && outcome.afterMerge)) return;
	if (outcome.kind === 'interrupted' || !ctx.owns(id)) {
		const reason = outcome.kind === 'interrupted' ? outcome.reason : 'a human gated the ticket during the attempt';
		ctx.log.append({type: 'attempt.interrupted', ticket: id, attempt, reason});
		if (outcome.kind === 'interrupted' && outcome.halt) await haltCannotStart(host, id, reason);
		return;
	}
	if (outcome.kind === 'limited') {
		const until = new Date(outcome.until).toISOString();
		ctx.log.append({type: 'attempt.limited', ticket: id, attempt, until, reason: outcome.reason});
		await ctx.writeTicket(id, 'todo', {status: 'todo'}, `waits for a usage limit to lift (${until})`);
		host.wakeAt(outcome.until);
		return;
	}
	if (outcome.kind === 'parked') {
		ctx.log.append({type: 'attempt.parked', ticket: id, attempt, reason: outcome.reason});
		await ctx.writeTicket(id, 'todo', {status: 'todo'}, outcome.reason);
		return;
	}
	if (outcome.kind === 'blocked') {
		ctx.log.append({type: 'attempt.failed', ticket: id, attempt, stage: 'implement', reason: `blocked by an external wall: ${outcome.wall}`});
		const block = {wall: outcome.wall, tried: outcome.tried, evidence: outcome.evidence, at: new Date(ctx.now()).toISOString()};
		await ctx.writeTicket(id, 'blocked', {status: 'blocked', block}, `blocked: ${outcome.wall}`);
		return;
	}
	ctx.log.append({type: 'attempt.failed', ticket: id, attempt, stage: outcome.stage, reason: outcome.reason});
	const repeated = state.repeats.add(id, outcome.stage, outcome.reason);
	if (repeated && !state.harnessHalt) {
		state.harnessHalt = repeated.signature;
		ctx.log.append({type: 'harness.repeated', ...repeated});
		const fix = 'no new attempts start until the harness is fixed (a heal, or you: fix it, then `proofloop run` resumes)';
		ctx.log.append({
			type: 'warning',
			message: `the same harness error ended ${repeated.count} attempts in a row (${repeated.tickets.join(', ')}): "${repeated.signature}"; ${fix}`,
		});
	}
	const reviewsSpent = outcome.stage === 'review' && ledger.reviewRounds(id) >= ctx.config.reviewRounds;
	const exhausted = ledger.used(id) >= ledger.budget(id) || reviewsSpent;
	// Merged-but-unverified stays `merged` (not done, not failed): the activation gap is visible as such.
	const status = outcome.merged ? 'merged' : exhausted ? 'failed' : 'todo';
	const summary = outcome.reason.split('\n')[0] ?? outcome.reason;
	await ctx.writeTicket(
		id,
		status,
		{status, failure: `attempt ${attempt} (${outcome.stage}): ${summary}`},
		exhausted ? `out of attempts: ${summary}` : summary,
	);
}

/** A program that could not start: no new attempt starts (the ticket keeps its budget), and the fix is said. */
async function haltCannotStart({ctx, state, ledger}: SettleHost, id: string, reason: string): Promise<void> {
	if (!state.harnessHalt) {
		state.harnessHalt = reason;
		ctx.log.append({type: 'warning', ticket: id, message: `${reason}; no new attempts start; ${cannotStartFix}`});
	}
	await ctx.writeTicket(id, 'todo', {status: 'todo', attempts: ledger.used(id)}, `${reason} (not charged)`);
}
