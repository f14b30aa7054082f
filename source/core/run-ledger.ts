import type {EventLog} from './event-log.js';
import type {EngineEvent} from './events.js';
import * as L from './ledger.js';

/** The run's log as the engine holds it: every event so far, and the ledger (ledger.ts) folded over them, kept current. */
export class RunLedger {
	readonly events: EngineEvent[];
	#ledger: L.Ledger;

	constructor(
		log: EventLog,
		/** The config's `attempts`: the budget of a ticket no retry or heal changed. */
		private readonly defaultBudget: number,
	) {
		this.events = [...log.existing];
		this.#ledger = L.buildLedger(this.events, defaultBudget);
		log.subscribe(event => {
			this.events.push(event);
			this.#ledger = L.ledgerStep(this.#ledger, event);
		});
	}

	/** Attempts charged against the budget: an interrupted, parked or limited one is not. */
	used(id: string): number {
		return L.attemptsUsed(this.#ledger, id);
	}

	/** The ticket's attempt budget in this run (what prompts and labels say). */
	budget(id: string): number {
		return L.attemptBudget(this.#ledger, id, this.defaultBudget);
	}

	/** The running attempt's number, or the next one's: an interrupted attempt's number is used again. */
	current(id: string): number {
		return L.currentAttempt(this.#ledger, id);
	}

	/** Charged, the current (or next) number, the budget. */
	view(id: string): {used: number; current: number; budget: number} {
		return {used: this.used(id), current: this.current(id), budget: this.budget(id)};
	}

	/** Attempts started and not settled. */
	open(): Array<{ticket: string; attempt: number}> {
		return L.openAttempts(this.#ledger);
	}

	mayStart(id: string, status: string): boolean {
		return L.mayStart(this.#ledger, id, status, this.defaultBudget);
	}

	/** When a usage limit that still holds the ticket back lifts; undefined when none does. */
	limitedUntil(id: string, now: number): number | undefined {
		return L.limitedUntil(this.#ledger, id, now);
	}

	reviewRounds(id: string): number {
		return L.reviewRounds(this.#ledger, id);
	}

	/** What previous attempts of this ticket left for the next fresh worker. */
	previousReasons(id: string): string[] {
		return L.previousReasons(this.events, id);
	}

	/** What the agents of this run have reported spending, in USD. */
	spentUsd(): number {
		return this.#ledger.usage.costUsd;
	}
}
