import type {Tracker} from '../tracker/tracker.js';
import type {Ticket, TicketUpdate} from '../tracker/ticket.js';
import {stopIfDiskFull, type DiskFullStop} from './disk-full.js';
import type {EventLog} from './event-log.js';
import {loggedFields, OwnedKeys} from './owned-keys.js';

/**
 * The one writer of a run's ticket files. A status write is logged first and
 * counts once the event is durable (write() resolves then: a finished ticket's
 * slot does not wait for its file). The file follows off the dispatch path, one
 * queue per ticket, the writes that piled up while one ran made as one, each
 * after the fsync of its event. The engine's own keys come from what it wrote
 * (owned-keys.ts); a ticket a human gated during the run is not written again.
 * A crash between the event and the file is put right on resume (recovery.ts, stale()).
 */
export class TicketWriter {
	/**
	 * Per ticket, a count that is odd while a write of the file is pending or
	 * under way, and moves on each write: a tracker read that saw it change (or
	 * odd) may hold the file from before the event it already logged.
	 */
	readonly writes = new Map<string, number>();
	/** Tickets a human gated during this run: the engine does not touch them again. */
	readonly #gated = new Set<string>();
	readonly #owned: OwnedKeys;
	/** Per ticket, every field this engine logged for it (what a read that raced a write lacks). */
	readonly #logged = new Map<string, TicketUpdate>();
	/** Per ticket, every field logged and not yet in its file; `gen` moves with each write. */
	readonly #unwritten = new Map<string, {fields: TicketUpdate; gen: number}>();
	/** Tickets with a file write waiting to start (it takes all of #unwritten when it does). */
	readonly #queued = new Set<string>();
	readonly #chains = new Map<string, Promise<void>>();

	constructor(
		private readonly log: EventLog,
		private readonly tracker: Tracker,
		/** The tickets as the run first read them: the keys they held are kept until the engine writes them. */
		baseline: readonly Ticket[],
		/** A ticket file the disk has no room for stops the run (resume writes it again), as any write of the run does. */
		private readonly onDiskFull?: DiskFullStop,
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

	/** The event first; resolves once it is durable. The file is written after, in the background (onDisk(), settled()). */
	async write(id: string, status: string, fields: TicketUpdate, reason?: string): Promise<void> {
		if (status !== 'human_gated' && !this.owns(id)) {
			this.log.append({type: 'warning', ticket: id, message: `not writing status ${status}: a human gated ${id} during this run`});
			return;
		}
		this.log.append({type: 'ticket.status', ticket: id, status, fields: loggedFields(fields), ...(reason ? {reason} : {})});
		this.#owned.record(id, fields);
		this.#enqueue(id, fields);
		await this.log.durable();
	}

	/** A ticket a worker filed (its ticket.filed event logged first): on disk when this resolves. */
	async create(prepared: {file: string; text: string}): Promise<void> {
		await this.log.durable();
		await this.tracker.create(prepared);
	}

	/** A write whose event is already in the log (a crash cut it off): made again, not logged again; on disk when this resolves. */
	async redo(id: string, fields: TicketUpdate): Promise<void> {
		this.#enqueue(id, fields, true);
		await this.onDisk(id);
	}

	/** Put back what someone else wrote over the engine's record (said by the caller), the engine's keys with it. */
	async restore(id: string, fields: TicketUpdate): Promise<void> {
		this.#enqueue(id, fields);
		await this.onDisk(id);
	}

	/**
	 * What a tracker read that began at `writesBefore` may lack: for each ticket
	 * whose file write was pending or landed during the read, every field this
	 * engine logged for it. The engine's view lays it over the read.
	 */
	racing(writesBefore: ReadonlyMap<string, number>): Map<string, TicketUpdate> {
		const racing = new Map<string, TicketUpdate>();
		for (const [id, writes] of this.writes) {
			if (writes % 2 === 1 || writes !== (writesBefore.get(id) ?? 0)) racing.set(id, this.#logged.get(id) ?? {});
		}
		return racing;
	}

	/** Whether the file lacks what the log says the engine wrote last (its status, or one of the engine's keys). */
	stale(ticket: Ticket, loggedStatus: string): string[] {
		return [...(ticket.status === loggedStatus ? [] : ['status']), ...this.#owned.differing(ticket.id, ticket)];
	}

	/** Resolves when the ticket's file holds every write made so far (or one failed, said in the log). */
	async onDisk(id: string): Promise<void> {
		for (let chain = this.#chains.get(id); chain; chain = this.#chains.get(id)) await chain;
	}

	/** Resolves when every ticket file holds what was logged for it: before a verdict is asked of the files. */
	async settled(): Promise<void> {
		while (this.#chains.size > 0) await Promise.all([...this.#chains.values()]);
	}

	#enqueue(id: string, fields: TicketUpdate, quiet = false): void {
		this.#logged.set(id, {...this.#logged.get(id), ...fields});
		const was = this.#unwritten.get(id);
		this.#unwritten.set(id, {fields: {...was?.fields, ...fields}, gen: (was?.gen ?? 0) + 1});
		if (!was) this.#bump(id);
		if (this.#queued.has(id)) return;
		this.#queued.add(id);
		const chain = (this.#chains.get(id) ?? Promise.resolve()).then(() => this.#flush(id, quiet));
		this.#chains.set(id, chain);
		const done = () => {
			if (this.#chains.get(id) === chain) this.#chains.delete(id);
		};
		// A rejection (a full disk stopping the run) reaches whoever awaits the file: onDisk(), settled().
		chain.then(done, done);
	}

	/** One write of the file with everything logged for it so far; only after the log holds it. */
	async #flush(id: string, quiet: boolean): Promise<void> {
		this.#queued.delete(id);
		const pending = this.#unwritten.get(id);
		if (!pending) return;
		const complete = this.#owned.complete(id, pending.fields, quiet);
		try {
			await this.log.durable();
			await this.tracker.update(id, pending.fields, complete);
			if (this.#unwritten.get(id)?.gen === pending.gen) {
				this.#unwritten.delete(id);
				this.#bump(id);
			}
		} catch (error) {
			stopIfDiskFull({onDiskFull: this.onDiskFull}, error);
			// The log holds the write, and the engine's view shows it; the file is written again by the next write or a resume.
			try {
				this.log.append({
					type: 'warning',
					ticket: id,
					message: `could not write ${id}'s ticket file: ${(error as Error).message}; the event log holds it, and a resumed run writes it again`,
				});
			} catch {
				// A log that cannot be written ends the run (onWriteError).
			}
		}
	}

	#bump(id: string): void {
		this.writes.set(id, (this.writes.get(id) ?? 0) + 1);
	}
}
