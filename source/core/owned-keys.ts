import type {EngineEvent} from './events.js';
import type {TicketUpdate} from '../tracker/ticket.js';

/**
 * The keys of a ticket file only the engine writes (its evidence and its
 * bookkeeping). On every engine write each of them comes from the engine's own
 * record of what it wrote in this run, never from the file: a key an agent
 * added or changed (a merge_commit, a verify_digest, a gate) is dropped or put
 * back, and said out loud.
 */
export const ENGINE_KEYS = ['merge_commit', 'verify_digest', 'done_at', 'attempts', 'failure', 'gate', 'block'] as const;

// Key order must not make two equal records differ.
const canon = (value: unknown): string =>
	value === undefined
		? 'undefined'
		: JSON.stringify(value, (_key, v: unknown) =>
				v && typeof v === 'object' && !Array.isArray(v) ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : 1))) : v,
			);

/** A write's fields as the log keeps them: a key it clears (undefined, which JSON drops) is kept as null, so a resumed engine knows it was cleared. */
export const loggedFields = (fields: TicketUpdate): Record<string, unknown> =>
	Object.fromEntries(Object.entries(fields).map(([key, value]) => [key, value ?? null]));

export class OwnedKeys {
	readonly #written = new Map<string, Record<string, unknown>>();
	/** What each ticket held when this engine started (a human's edits, earlier runs' evidence): kept until the engine writes the key. */
	readonly #baseline = new Map<string, Record<string, unknown>>();

	/** Seeded from this run's log, so a resumed engine knows what it wrote before the crash. */
	constructor(
		history: readonly EngineEvent[],
		private readonly onForeign: (ticket: string, keys: string[]) => void,
	) {
		for (const event of history) if (event.type === 'ticket.status') this.record(event.ticket, event.fields);
	}

	baseline(tickets: ReadonlyArray<{id: string} & Record<string, unknown>>): void {
		for (const ticket of tickets)
			this.#baseline.set(ticket.id, Object.fromEntries(ENGINE_KEYS.filter(key => ticket[key] !== undefined).map(key => [key, ticket[key]])));
	}

	record(id: string, fields: Record<string, unknown>): void {
		const mine = this.#written.get(id) ?? {};
		for (const key of ENGINE_KEYS) if (key in fields) mine[key] = fields[key] ?? undefined;
		this.#written.set(id, mine);
	}

	/** The engine keys the file holds otherwise than the engine's record says (a write a crash cut off, or an edit). */
	differing(id: string, current: Record<string, unknown>): string[] {
		const written = this.#written.get(id) ?? {};
		return ENGINE_KEYS.filter(key => key in written && canon(current[key]) !== canon(written[key]));
	}

	/**
	 * Given the file's current front matter, the engine keys to write besides
	 * `fields`: every one the file holds otherwise than the engine wrote it.
	 * Called when the write takes its fields.
	 */
	complete(id: string, fields: TicketUpdate, quiet = false): (current: Record<string, unknown>) => TicketUpdate {
		// The record as of now, when the write took its fields: one logged while it waits is the next write's, not yet the file's.
		const written = {...this.#written.get(id)};
		const baseline = this.#baseline.get(id) ?? {};
		return current => {
			const extra: Record<string, unknown> = {};
			for (const key of ENGINE_KEYS) {
				if (key in fields) continue;
				const mine = key in written ? written[key] : baseline[key];
				if (canon(current[key]) !== canon(mine)) extra[key] = mine;
			}
			const keys = Object.keys(extra);
			if (keys.length > 0 && !quiet) this.onForeign(id, keys);
			return extra;
		};
	}
}
