import {PersistentMap} from '../lib/persistent-map.js';
import type {EngineEvent, InterventionKind} from './events.js';

/**
 * The run's ledger: every number counted over the event log, folded in one
 * place. The engine (budget, next number, cost budget, dispatch), the report,
 * `status` and the TUI state all read it, so each number has one definition.
 *
 * Charged: an attempt that ended failed, blocked or done. Not charged: one
 * interrupted (engine killed, run stopped, a human gate), parked or limited;
 * its number is used again by the next attempt, so it never exceeds the budget.
 */

export type Usage = {inputTokens: number; outputTokens: number; costUsd: number};

export type TicketAttempts = {
	/** Attempts charged against the budget. */
	used: number;
	/** The attempt started and not settled (running, or cut by a crash until a resume settles it). */
	open?: number;
	/** What a retry or a heal set; otherwise the run's default. */
	budget?: number;
	/** When the ticket's latest usage limit lifts (ms since the epoch). */
	limitedUntil?: number;
	/** Review verdicts that asked for changes (capped by the config's reviewRounds). */
	reviewRounds?: number;
	/** What the ticket's workers, planners and reviewers reported spending, in USD. */
	costUsd?: number;
	/** The agent its latest attempt ran. */
	agent?: string;
};

/**
 * What one agent in one role spent. `reported` is false for an agent that gave
 * tokens but never a cost (codex, gemini, a command): its cost is n/a, not $0.00.
 */
export type AgentSpend = {
	agent: string;
	role: 'worker' | 'review' | 'plan';
	runs: number;
	inputTokens: number;
	outputTokens: number;
	costUsd: number;
	reported: boolean;
};

export type Ledger = {
	/** The config's `attempts` as the run last recorded it (run.started / run.resumed). */
	defaultBudget?: number;
	/** Persistent (lib/persistent-map.ts): a step shares all but the changed entry, so a fold over a long log stays linear. */
	tickets: PersistentMap<TicketAttempts>;
	/** Tokens and cost every agent of the run reported (the cost budget reads this). */
	usage: Usage;
	/** What a person did to the work (gate, ungate, retry, reset, a hand edit of a ticket): see isIntervention. */
	interventions: number;
	/** How a person steered the run (pause, resume, stop, restart). */
	controls: number;
	/** Per agent and role, in the order each first spent (keyed `agent\0role`). */
	spend: PersistentMap<AgentSpend>;
};

export const noUsage: Usage = {inputTokens: 0, outputTokens: 0, costUsd: 0};
export const emptyLedger: Ledger = {tickets: PersistentMap.empty(), usage: noUsage, interventions: 0, controls: 0, spend: PersistentMap.empty()};

function spent(ledger: Ledger, agent: string, role: AgentSpend['role'], usage: Usage): Ledger {
	const key = `${agent}\0${role}`;
	const was = ledger.spend.get(key) ?? {agent, role, runs: 0, inputTokens: 0, outputTokens: 0, costUsd: 0, reported: false};
	const row: AgentSpend = {
		...was,
		runs: was.runs + 1,
		inputTokens: was.inputTokens + usage.inputTokens,
		outputTokens: was.outputTokens + usage.outputTokens,
		costUsd: was.costUsd + usage.costUsd,
		reported: was.reported || usage.costUsd > 0,
	};
	return {...ledger, usage: addUsage(ledger.usage, usage), spend: ledger.spend.with(key, row)};
}

// An intervention changes the work (who does a ticket, its budget, its branch);
// pausing, resuming, stopping or restarting the run only steers it: a control.
const workKinds: ReadonlySet<InterventionKind> = new Set(['gate', 'ungate', 'retry', 'reset', 'edit']);

/** Whether a logged human act counts as an intervention (else it is a control). */
export function isIntervention(kind: InterventionKind): boolean {
	return workKinds.has(kind);
}

const settlesCharged = new Set<EngineEvent['type']>(['attempt.failed', 'ticket.done']);
const settlesFree = new Set<EngineEvent['type']>(['attempt.interrupted', 'attempt.parked', 'attempt.limited']);

/** Workers' and reviewers' spending add up the same way. */
export const addUsage = (a: Usage, b: Usage): Usage => ({
	inputTokens: a.inputTokens + b.inputTokens,
	outputTokens: a.outputTokens + b.outputTokens,
	costUsd: a.costUsd + b.costUsd,
});

/** Fold one event (pure; a new ledger only when the event changes it). */
export function ledgerStep(ledger: Ledger, event: EngineEvent): Ledger {
	const set = (id: string, update: (t: TicketAttempts) => TicketAttempts, base: Ledger = ledger): Ledger => ({
		...base,
		tickets: base.tickets.with(id, update(base.tickets.get(id) ?? {used: 0})),
	});
	// What workers, planners and reviewers reported spending; a review asking for changes uses up a round.
	if (event.type === 'agent.exited' || event.type === 'review.result' || event.type === 'plan.result') {
		const usage = event.usage;
		const [agent, role] =
			event.type === 'agent.exited'
				? [ledger.tickets.get(event.ticket)?.agent ?? 'agent', 'worker' as const]
				: event.type === 'review.result'
					? ['reviewer', 'review' as const]
					: ['planner + reviewer', 'plan' as const];
		let next = usage ? set(event.ticket, t => ({...t, costUsd: (t.costUsd ?? 0) + usage.costUsd}), spent(ledger, agent, role, usage)) : ledger;
		if (event.type === 'review.result' && event.verdict === 'changes') next = set(event.ticket, t => ({...t, reviewRounds: (t.reviewRounds ?? 0) + 1}), next);
		return next;
	}
	switch (event.type) {
		case 'run.started':
		case 'run.resumed':
			return event.attempts === undefined ? ledger : {...ledger, defaultBudget: event.attempts};
		case 'attempt.started':
			return set(event.ticket, t => ({...t, open: event.attempt, agent: event.agent}));
		case 'attempt.budget':
			return set(event.ticket, t => ({...t, budget: event.budget}));
		case 'intervention': {
			const counted = isIntervention(event.kind) ? {...ledger, interventions: ledger.interventions + 1} : {...ledger, controls: ledger.controls + 1};
			// A retry or reset gives a fresh budget on top of what was used.
			if ((event.kind !== 'retry' && event.kind !== 'reset') || event.ticket === undefined) return counted;
			return set(event.ticket, t => ({...t, budget: t.used + (ledger.defaultBudget ?? DEFAULT_BUDGET)}), counted);
		}
		default:
			break;
	}
	if ((settlesCharged.has(event.type) || settlesFree.has(event.type)) && 'ticket' in event && typeof event.ticket === 'string' && 'attempt' in event) {
		// A usage limit holds the ticket back whichever attempt hit it (so it survives a restart).
		const limited = event.type === 'attempt.limited' ? set(event.ticket, t => ({...t, limitedUntil: Date.parse(event.until)})) : ledger;
		if (limited.tickets.get(event.ticket)?.open !== event.attempt) return limited;
		return set(event.ticket, ({open: _settled, ...t}) => ({...t, used: t.used + (settlesCharged.has(event.type) ? 1 : 0)}), limited);
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

/** Attempts started and not settled: a resume either continues them (merged) or ends them as interrupted. */
export function openAttempts(ledger: Ledger): Array<{ticket: string; attempt: number}> {
	return [...ledger.tickets].flatMap(([ticket, t]) => (t.open === undefined ? [] : [{ticket, attempt: t.open}]));
}

// Statuses an attempt may start from. `merged` is here on purpose: merged but
// not verified live is unfinished work.
export const startableStatuses: ReadonlySet<string> = new Set(['todo', 'in_progress', 'merged']);

/** Whether the engine may start an attempt of this ticket, a usage limit aside (see limitedUntil). */
export function mayStart(ledger: Ledger, id: string, status: string, fallback?: number): boolean {
	return startableStatuses.has(status) && hasAttemptsLeft(ledger, id, fallback);
}

/** When a usage limit that still holds the ticket back lifts (ms since the epoch); undefined when none does. */
export function limitedUntil(ledger: Ledger, id: string, now: number): number | undefined {
	const until = attemptsOf(ledger, id).limitedUntil;
	return until !== undefined && until > now ? until : undefined;
}

/** Review verdicts that asked this ticket for changes in this run. */
export function reviewRounds(ledger: Ledger, id: string): number {
	return attemptsOf(ledger, id).reviewRounds ?? 0;
}

/** What the ticket's agents reported spending, in USD. */
export function ticketCost(ledger: Ledger, id: string): number {
	return attemptsOf(ledger, id).costUsd ?? 0;
}

/** What previous attempts of this ticket left for the next fresh worker (failures, parkings, notes). */
export function previousReasons(events: readonly EngineEvent[], id: string): string[] {
	return events.flatMap(e => {
		if (!('ticket' in e) || e.ticket !== id) return [];
		if (e.type === 'attempt.failed') return [`Attempt ${e.attempt} failed at ${e.stage}: ${e.reason}`];
		if (e.type === 'attempt.parked') return [`Attempt ${e.attempt} was parked: ${e.reason}. Its work is on your branch; continue from it.`];
		if (e.type === 'ticket.note') return [`Note${e.attempt ? ` from attempt ${e.attempt}` : ''}: ${e.text}`];
		return [];
	});
}
