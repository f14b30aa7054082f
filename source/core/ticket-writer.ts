import type {Tracker} from '../tracker/tracker.js';
import type {Ticket, TicketUpdate} from '../tracker/ticket.js';
import type {EventLog} from './event-log.js';
import {loggedFields, OwnedKeys} from './owned-keys.js';

/**
 * The one writer of a run's ticket files. A status write is logged first, then
 * made, with the engine's own keys from what it wrote (owned-keys.ts); a ticket
 * a human gated during the run is not written again, whatever was in flight.
 */
export class TicketWriter {
	/**
	 * Per ticket, a count that goes up when a write starts and again when it
	 * ends: a tracker read that saw it change (or odd, mid-write) may hold the
	 * file from before the event it already logged.
	 */
	readonly writes = new Map<string, number>();
	/** Tickets a human gated during this run: the engine does not touch them again. */
	readonly #gated = new Set<string>();
	readonly #owned: OwnedKeys;

	constructor(
		private readonly log: EventLog,
		private readonly tracker: Tracker,
		/** The tickets as the run first read them: the keys they held are kept until the engine writes them. */
		baseline: readonly Ticket[],
	) {
		this.#owned = new OwnedKeys(log.existing, (id, keys) =>
			log.append({
				type: 'warning',
				ticket: id,
				message:
					`TAMPER: ${id}'s ticket file holds ${keys.join(', ')} as the engine never wrote it: ` +
					`the engine's write dropped or restored ${keys.length > 1 ? 'them' : 'it'}`,
			}),
		);
		this.#owned.baseline(baseline);
	}

	/** Whether a write to this ticket is still the engine's to make (not after a human gated it). */
	owns(id: string): boolean {
		return !this.#gated.has(id);
	}

	gated(id: string): void {
		this.#gated.add(id);
	}

	ungated(id: string): void {
		this.#gated.delete(id);
	}

	/** The event first, then the file. */
	async write(id: string, status: string, fields: TicketUpdate, reason?: string): Promise<void> {
		if (status !== 'human_gated' && !this.owns(id)) {
			this.log.append({type: 'warning', ticket: id, message: `not writing status ${status}: a human gated ${id} during this run`});
			return;
		}
		this.log.append({type: 'ticket.status', ticket: id, status, fields: loggedFields(fields), ...(reason ? {reason} : {})});
		this.#owned.record(id, fields);
		const bump = () => this.writes.set(id, (this.writes.get(id) ?? 0) + 1);
		bump();
		try {
			await this.tracker.update(id, fields, this.#owned.complete(id, fields));
		} finally {
			bump();
		}
	}

	/** A ticket a worker filed (its ticket.filed event logged first). */
	async create(prepared: {file: string; text: string}): Promise<void> {
		await this.tracker.create(prepared);
	}

	/** A write whose event is already in the log (a crash cut it off): made again, not logged again. */
	async redo(id: string, fields: TicketUpdate): Promise<void> {
		await this.tracker.update(id, fields);
	}

	/** Put back what someone else wrote over the engine's record (said by the caller), the engine's keys with it. */
	async restore(id: string, fields: TicketUpdate): Promise<void> {
		await this.tracker.update(id, fields, this.#owned.complete(id, fields));
	}
}
