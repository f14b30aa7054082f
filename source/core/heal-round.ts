import {createAdapter} from '../agents/registry.js';
import {workerOf} from './config.js';
import type {EngineCore} from './engine-state.js';
import {runHeal, type HealOutcome} from './heal.js';
import type {OracleVerdict} from './oracle.js';
import {stopReport} from './stop-report.js';

/** About to stop short of exit 0: one heal, if any is left and a healer exists; true when it was applied and the loop goes on. */
export async function tryHeal(engine: EngineCore, verdict: OracleVerdict): Promise<boolean> {
	const {ctx, state, view} = engine;
	const heal = engine.events.filter(e => e.type === 'heal.result').length + 1;
	const worker = workerOf(ctx.config);
	const healerConfig = ctx.config.selfHeal.healer ?? (worker?.type === 'demo' ? undefined : worker);
	if (heal > ctx.config.selfHeal.max || !healerConfig || state.budgets?.exhausted) return false;
	// A blocked ticket or a human gate waits for a human, not for a healer.
	if (verdict.exit === 2 || verdict.tickets.every(t => t.passing || t.status === 'blocked')) return false;
	const report = stopReport(ctx, verdict, engine.events);
	ctx.log.append({type: 'heal.started', heal, report});
	let outcome: HealOutcome;
	try {
		outcome = await runHeal(ctx, createAdapter(healerConfig), heal, report);
	} catch (error) {
		outcome = {outcome: 'failed', reason: `proofloop error during the heal: ${(error as Error).message}`, files: [], diff: ''};
	}
	ctx.log.append({type: 'heal.result', heal, ...outcome});
	if (outcome.outcome !== 'applied') return false;
	// The heal changed the harness: the old streak says nothing about the new one, and
	// every ticket it failed gets one more attempt.
	state.harnessHalt = undefined;
	state.repeats.reset();
	await view.refresh();
	for (const ticket of view.batch()) {
		const used = engine.ledger.used(ticket.id);
		const stuck = ticket.status === 'failed' || ((ticket.status === 'merged' || ticket.status === 'todo') && used >= engine.ledger.budget(ticket.id));
		if (!stuck) continue;
		// Budget = what it used + 1: exactly one more attempt (logged, so a resume keeps it).
		ctx.log.append({type: 'attempt.budget', ticket: ticket.id, budget: used + 1, reason: `one more attempt after heal ${heal}`});
		if (ticket.status === 'failed') await ctx.tickets.write(ticket.id, 'todo', {status: 'todo'}, `one more attempt after heal ${heal}`);
	}
	return true;
}
