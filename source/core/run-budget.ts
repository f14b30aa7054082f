import type {ProjectConfig} from './config.js';
import type {EngineEvent, NewEvent} from './events.js';

/**
 * The run's budgets: cost (`costBudgetUsd`, what the agents reported) and wall
 * clock (`maxRunMinutes`, the time an engine ran this run, over every start and
 * resume; a crashed engine's downtime does not count). Once one is spent no new
 * attempt starts, running ones finish, no heal is tried, and the run ends with
 * the reason logged (a warning with `budget`, read by the stop report and notify/).
 */
export class RunBudgets {
	#spent: string | undefined;
	readonly #earlierMs: number;
	readonly #sessionStart: number;

	constructor(
		private readonly config: Pick<ProjectConfig, 'costBudgetUsd' | 'maxRunMinutes'>,
		private readonly append: (event: NewEvent) => void,
		history: readonly EngineEvent[],
		private readonly now: () => number = Date.now,
	) {
		const {earlierMs, sessionStart} = engineTime(history);
		this.#earlierMs = earlierMs;
		this.#sessionStart = sessionStart ?? now();
	}

	/** How long engines have run this run, in ms. */
	elapsedMs(): number {
		return this.#earlierMs + Math.max(0, this.now() - this.#sessionStart);
	}

	/** Why no new attempt may start (said once, in the log), or undefined while both budgets last. */
	spent(spentUsd: number): string | undefined {
		if (this.#spent) return this.#spent;
		const {costBudgetUsd, maxRunMinutes} = this.config;
		if (costBudgetUsd !== undefined && spentUsd >= costBudgetUsd) {
			this.#spent = `the cost budget of $${costBudgetUsd} is spent ($${spentUsd.toFixed(2)}): no new attempts start`;
			this.append({type: 'warning', budget: 'cost', message: this.#spent});
		} else if (maxRunMinutes !== undefined && this.elapsedMs() >= maxRunMinutes * 60_000) {
			this.#spent =
				`the time budget of ${maxRunMinutes} min (maxRunMinutes) is spent (${(this.elapsedMs() / 60_000).toFixed(1)} min run): ` +
				`no new attempts start; running ones finish`;
			this.append({type: 'warning', budget: 'time', message: this.#spent});
		}
		return this.#spent;
	}

	get exhausted(): boolean {
		return this.#spent !== undefined;
	}
}

/** Engine time before the current start: each start to its stop, or to its last event when the engine died. */
export function engineTime(events: readonly EngineEvent[]): {earlierMs: number; sessionStart?: number} {
	let earlierMs = 0;
	let open: number | undefined;
	let lastAt: number | undefined;
	for (const e of events) {
		const at = Date.parse(e.at);
		if (e.type === 'run.started' || e.type === 'run.resumed') {
			if (open !== undefined && lastAt !== undefined) earlierMs += Math.max(0, lastAt - open);
			open = at;
		} else if (e.type === 'run.stopped' && open !== undefined) {
			earlierMs += Math.max(0, at - open);
			open = undefined;
		}
		lastAt = at;
	}
	return open === undefined ? {earlierMs} : {earlierMs, sessionStart: open};
}
