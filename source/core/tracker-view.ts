import {watch, type FSWatcher} from 'node:fs';
import path from 'node:path';
import type {Ticket, TicketUpdate} from '../tracker/ticket.js';
import type {RunDeps} from './context.js';
import type {EngineEvent} from './events.js';
import {missingTickets} from './run-watch.js';
import {HandEdits} from './hand-edits.js';

/**
 * The engine's snapshot of the tracker. A ticket a human is mid-way editing
 * (invalid for a moment) must not kill the run: the last good snapshot is
 * kept, said once, and nothing new starts until it reads clean again.
 */
export class TrackerView {
	tickets = new Map<string, Ticket>();
	/** Set while the tracker does not read cleanly: no new attempt starts. */
	problem: string | undefined;
	/** Each batch ticket's status when this engine first read it (what a foreign write is measured against). */
	readonly #initialStatus = new Map<string, string>();
	#watcher: FSWatcher | undefined;
	/** A person's edits of ticket files during the run: interventions (hand-edits.ts). */
	readonly #handEdits = new HandEdits();

	constructor(
		private readonly ctx: Pick<RunDeps, 'tracker' | 'manifest' | 'config' | 'log' | 'repoRoot' | 'tickets'>,
		private readonly events: () => readonly EngineEvent[],
		private readonly wake: () => void,
	) {}

	/** The batch: the pinned ids plus whatever carries the batch name now (membership only grows). */
	batch(): Ticket[] {
		const pinned = new Set(this.ctx.manifest.ticket_ids);
		return [...this.tickets.values()].filter(t => t.batch === this.ctx.manifest.batch || pinned.has(t.id));
	}

	inBatch(id: string): boolean {
		return this.batch().some(t => t.id === id);
	}

	/** Take a read as it is (recovery, before anything is judged against it). */
	replace(loaded: readonly Ticket[]): void {
		this.tickets = new Map(loaded.map(t => [t.id, t]));
	}

	/** Re-read the tracker; keep the last good snapshot when it does not read cleanly. */
	async refresh(): Promise<void> {
		let loaded: Ticket[];
		const writesBefore = new Map(this.ctx.tickets.writes);
		try {
			loaded = await this.ctx.tracker.load();
		} catch (error) {
			this.broken((error as Error).message);
			return;
		}
		// A pinned ticket that vanished is a broken tracker too (run-watch.ts gives it a grace period).
		const gone = missingTickets(this.ctx.manifest.ticket_ids, loaded, id => this.tickets.get(id)?.file, this.ctx.config.tracker.dir);
		if (gone) {
			this.broken(gone);
			return;
		}
		if (this.problem) this.ctx.log.append({type: 'warning', message: 'the tracker reads cleanly again'});
		this.problem = undefined;
		this.replace(loaded);
		this.#overlayRacing(writesBefore);
		for (const edit of this.#handEdits.observe(this.batch(), writesBefore, this.ctx.tickets.writes)) {
			this.ctx.log.append({
				type: 'intervention',
				kind: 'edit',
				by: 'hand edit',
				ticket: edit.ticket,
				reason: `${edit.fields.join(', ')} changed in the ticket file`,
			});
		}
		for (const ticket of this.batch()) if (!this.#initialStatus.has(ticket.id)) this.#initialStatus.set(ticket.id, ticket.status);
		await this.revertForeignWrites(writesBefore);
	}

	/** A write the log holds counts before its file is written (ticket-writer.ts): a read that raced it shows it too. */
	#overlayRacing(writesBefore: ReadonlyMap<string, number>): void {
		for (const [id, fields] of this.ctx.tickets.racing(writesBefore)) {
			const ticket = this.tickets.get(id);
			if (ticket) this.tickets.set(id, {...ticket, ...fields});
		}
	}

	/** While the tracker is broken, a change to its files wakes the loop (no polling). */
	watchWhileBroken(): void {
		if (this.problem && !this.#watcher) {
			this.#watcher = watch(path.join(this.ctx.repoRoot, this.ctx.config.tracker.dir), () => this.wake());
		} else if (!this.problem && this.#watcher) this.close();
	}

	close(): void {
		this.#watcher?.close();
		this.#watcher = undefined;
	}

	private broken(why: string): void {
		const message = `the tracker does not read cleanly; no new attempts start until it does:\n${why}`;
		if (message !== this.problem) this.ctx.log.append({type: 'warning', message});
		this.problem = message;
	}

	/**
	 * During a run the engine is the only writer of a ticket's status. A status
	 * that claims progress the engine never recorded (an agent writing the main
	 * checkout's tracker, say) is put back, and said out loud.
	 */
	private async revertForeignWrites(writesBefore: Map<string, number>): Promise<void> {
		const claims = new Set(['done', 'merged', 'human_gated']);
		const lastWritten = new Map<string, Extract<EngineEvent, {type: 'ticket.status'}>>();
		for (const event of this.events()) if (event.type === 'ticket.status') lastWritten.set(event.ticket, event);
		for (const ticket of this.batch()) {
			// Our own write raced the read (the event is logged, the file may be older): not foreign; the next read judges it.
			const writes = this.ctx.tickets.writes.get(ticket.id) ?? 0;
			if (writes % 2 === 1 || writes !== (writesBefore.get(ticket.id) ?? 0)) continue;
			const ours = lastWritten.get(ticket.id);
			const expected = ours?.status ?? this.#initialStatus.get(ticket.id);
			if (expected === undefined || ticket.status === expected || !claims.has(ticket.status)) continue;
			this.ctx.log.append({
				type: 'warning',
				ticket: ticket.id,
				message: `${ticket.file} says status ${ticket.status}, which the engine never wrote: put back to ${expected}`,
			});
			const fields: TicketUpdate = {
				status: expected as TicketUpdate['status'],
				...(ours ? {} : {merge_commit: undefined, verify_digest: undefined, gate: undefined}),
			};
			await this.ctx.tickets.restore(ticket.id, fields);
			this.tickets.set(ticket.id, {...ticket, status: expected as Ticket['status']});
		}
	}
}
