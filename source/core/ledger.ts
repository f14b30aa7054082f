import type {EngineEvent} from './events.js';

/**
 * The one count of attempts, folded from the event log. The engine (budget,
 * next number), the report and the TUI state all read it, so the number in a
 * prompt, a label, `status`, the report and the ticket file is the same.
 *
 * Charged: an attempt that ended failed, blocked or done. Not charged: one
 * interrupted (engine killed, run stopped, a human gate), parked or limited;
 * its number is used again by the next attempt, so it never exceeds the budget.
 */

export type TicketAttempts = {
	/** Attempts charged against the budget. */
	used: number;
	/** The attempt started and not settled (running, or cut by a crash until a resume settles it). */
	open?: number;
	/** What a retry or a heal set; otherwise the run's default. */
	budget?: number;
};

export type Ledger = {
	/** The config's `attempts` as the run last recorded it (run.started / run.resumed). */
	defaultBudget?: number;
	tickets: ReadonlyMap<string, TicketAttempts>;
};

export const emptyLedger: Ledger = {tickets: new Map()};

const settlesCharged = new Set<EngineEvent['type']>(['attempt.failed', 'ticket.done']);
const settlesFree = new Set<EngineEvent['type']>(['attempt.interrupted', 'attempt.parked', 'attempt.limited']);

/** Fold one event (pure; a new ledger only when the event changes it). */
export function ledgerStep(ledger: Ledger, event: EngineEvent): Ledger {
	const set = (id: string, update: (t: TicketAttempts) => TicketAttempts): Ledger => ({
		...ledger,
		tickets: new Map(ledger.tickets).set(id, update(ledger.tickets.get(id) ?? {used: 0})),
	});
	switch (event.type) {
		case 'run.started':
		case 'run.resumed':
			return event.attempts === undefined ? ledger : {...ledger, defaultBudget: event.attempts};
		case 'attempt.started':
			return set(event.ticket, t => ({...t, open: event.attempt}));
		case 'attempt.budget':
			return set(event.ticket, t => ({...t, budget: event.budget}));
		case 'intervention':
			// A retry or reset gives a fresh budget on top of what was used.
			if ((event.kind !== 'retry' && event.kind !== 'reset') || event.ticket === undefined) return ledger;
			return set(event.ticket, t => ({used: t.used, budget: t.used + (ledger.defaultBudget ?? DEFAULT_BUDGET)}));
		default:
			break;
	}
	if ((settlesCharged.has(event.type) || settlesFree.has(event.type)) && 'ticket' in event && typeof event.ticket === 'string' && 'attempt' in event) {
		if (ledger.tickets.get(event.ticket)?.open !== event.attempt) return ledger;
		return set(event.ticket, t => ({...(t.budget === undefined ? {} : {budget: t.budget}), used: t.used + (settlesCharged.has(event.type) ? 1 : 0)}));
	}
	return ledger;
}

/** The config's default when a log predates recording it. */
export const DEFAULT_BUDGET = 3;

export function buildLedger(events: readonly EngineEvent[], defaultBudget?: number): Ledger {
	const start: Ledger = defaultBudget === undefined ? emptyLedger : {...emptyLedger, defaultBudget};
	return events.reduce(ledgerStep, start);
}

export function attemptsOf(ledger: Ledger, id: string): TicketAttempts {
	return ledger.tickets.get(id) ?? {used: 0};
}

/** Attempts charged so far. */
export function attemptsUsed(ledger: Ledger, id: string): number {
	return attemptsOf(ledger, id).used;
}

/** How many attempts the ticket may use in this run. */
export function attemptBudget(ledger: Ledger, id: string, fallback = ledger.defaultBudget ?? DEFAULT_BUDGET): number {
	return attemptsOf(ledger, id).budget ?? fallback;
}

/** The number of the running attempt, or of the next one: what every screen and file shows. */
export function currentAttempt(ledger: Ledger, id: string): number {
	const t = attemptsOf(ledger, id);
	return t.open ?? t.used + 1;
}

/** Whether the ticket has attempts left to start. */
export function hasAttemptsLeft(ledger: Ledger, id: string, fallback?: number): boolean {
	return attemptsUsed(ledger, id) < attemptBudget(ledger, id, fallback);
}
