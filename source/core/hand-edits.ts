import type {Ticket} from '../tracker/ticket.js';

// What a person writes in a ticket. The engine writes status and evidence, and
// deps only through its own counted writes (a filing's blocker edge).
const personKeys = ['title', 'batch', 'deps', 'locks', 'priority', 'checks', 'verify', 'allow', 'demo', 'body'] as const;

type Seen = {fields: Record<string, string>; writes: number};

/**
 * Notices a person's edits of ticket files during a run (an intervention in the
 * ledger): a change to what a person writes between two reads of the tracker
 * that no engine write explains. A read that raced an engine write only sets
 * the new baseline.
 */
export class HandEdits {
	readonly #seen = new Map<string, Seen>();

	/** `writesBefore`/`writesNow`: the engine's write counters at the start and end of this read (odd while a write is under way). */
	observe(
		tickets: Iterable<Ticket>,
		writesBefore: ReadonlyMap<string, number>,
		writesNow: ReadonlyMap<string, number>,
	): Array<{ticket: string; fields: string[]}> {
		const edits: Array<{ticket: string; fields: string[]}> = [];
		for (const ticket of tickets) {
			const writes = writesNow.get(ticket.id) ?? 0;
			const settled = writes % 2 === 0 && writes === (writesBefore.get(ticket.id) ?? 0);
			const fields = Object.fromEntries(personKeys.map(key => [key, JSON.stringify(ticket[key] ?? null)]));
			const before = this.#seen.get(ticket.id);
			if (settled) this.#seen.set(ticket.id, {fields, writes});
			else this.#seen.delete(ticket.id);
			if (!before || !settled || before.writes !== writes) continue;
			const changed = personKeys.filter(key => before.fields[key] !== fields[key]);
			if (changed.length > 0) edits.push({ticket: ticket.id, fields: changed});
		}
		return edits;
	}
}
