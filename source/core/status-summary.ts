import type {StatusSummary} from './control.js';
import {groupTickets, type RunState} from './run-state.js';

/** What the engine answers to `status` on the human channel: the live state, counted as the TUI groups it. */
export function statusSummary(state: RunState, pid: number): StatusSummary {
	const counts: Record<string, number> = {};
	for (const ticket of groupTickets(state)) counts[ticket.group] = (counts[ticket.group] ?? 0) + 1;
	return {
		runId: state.runId,
		batch: state.batch,
		pid,
		paused: state.paused,
		stopping: state.stopping,
		running: [...state.workers.values()].map(w => ({ticket: w.ticket, attempt: w.attempt, maxAttempts: w.maxAttempts, stage: w.stage})),
		counts,
		...(state.oracle ? {oracle: {exit: state.oracle.exit, verdict: state.oracle.verdict, summary: state.oracle.summary}} : {}),
		interventions: state.interventions,
		tampers: state.tampers,
		...(state.checkoutsKept.length > 0 ? {checkoutsKept: state.checkoutsKept} : {}),
	};
}
