import type {EngineCore} from './engine-state.js';
import {checkFiling, filingCap, nextTicketId, type FileRequest} from './filing.js';
import {writeManifest} from './run-dir.js';

/** A worker files discovered work: it joins the batch (membership only grows), optionally blocking a ticket. */
export async function fileTicket(engine: EngineCore, request: FileRequest): Promise<string> {
	const {ctx, state, view} = engine;
	await view.refresh();
	const capped = filingCap(engine.events.filter(e => e.type === 'ticket.filed').length, ctx.config.maxFiledTickets);
	if (capped && !engine.events.some(e => e.type === 'warning' && e.message === capped.warning))
		ctx.log.append({type: 'warning', ticket: request.from, message: capped.warning});
	if (capped) throw new Error(capped.refusal);
	const newId = nextTicketId(request.from, view.tickets.keys());
	const problem = checkFiling({request, newId, tickets: view.tickets, inBatch: id => view.inBatch(id), declaredLocks: ctx.config.locks});
	if (problem) throw new Error(problem);
	// Validate the new file fully before anything is written: a refusal leaves the tracker byte for byte.
	const prepared = await ctx.tracker.prepareCreate({
		id: newId,
		title: request.title,
		batch: ctx.manifest.batch,
		deps: request.deps,
		locks: request.locks,
		discovered_from: request.from,
		filed_by_run: ctx.run.id,
		body: request.body,
	});
	ctx.log.append({
		type: 'ticket.filed',
		ticket: newId,
		from: request.from,
		title: request.title,
		file: prepared.file,
		...(request.blocks ? {blocks: request.blocks} : {}),
	});
	await ctx.tickets.create(prepared);
	ctx.manifest.ticket_ids = [...new Set([...ctx.manifest.ticket_ids, newId])];
	writeManifest(ctx.run, ctx.manifest);
	if (request.blocks !== undefined) {
		const blocked = view.tickets.get(request.blocks);
		if (blocked) await ctx.tickets.write(blocked.id, blocked.status, {deps: [...blocked.deps, newId]}, `now waits on ${newId}`);
		// filing.done says every write landed: the edge's file write too, not only its event.
		if (blocked) await ctx.tickets.onDisk(blocked.id);
		const attempt = state.running.get(request.blocks)?.attempt;
		if (attempt !== undefined) {
			state.claims.set(`${request.blocks}#${attempt}`, {
				kind: 'parked',
				reason: `it filed ${newId} (${request.title}) as a blocker; it resumes on its branch once ${newId} is done`,
			});
		}
	}
	ctx.log.append({type: 'ticket.filing.done', ticket: newId});
	await ctx.log.durable();
	await view.refresh();
	engine.publishTickets();
	engine.wake();
	return `filed ${newId}${request.blocks ? `; ${request.blocks} now waits on it` : ''}`;
}

/**
 * A filing is three writes after its event (the ticket file, the manifest,
 * the blocker edge); a crash can cut it anywhere. Finish what the event
 * promised: membership only grows, and a worker that said `--blocks` on its
 * own ticket must not see it dispatched before the blocker is done.
 */
export async function reconcileFilings(engine: EngineCore): Promise<void> {
	const {ctx, view} = engine;
	const finished = new Set(engine.events.flatMap(e => (e.type === 'ticket.filing.done' ? [e.ticket] : [])));
	for (const event of [...engine.events]) {
		// Finished before the crash: whatever differs now (an edge a human removed) is not ours to put back.
		if (event.type !== 'ticket.filed' || finished.has(event.ticket)) continue;
		const filed = view.tickets.get(event.ticket);
		if (!filed) {
			ctx.log.append({
				type: 'warning',
				ticket: event.from,
				message: `${event.from}'s filing of ${event.ticket} (${event.title}) was cut by a crash before its file was written; its next attempt may file it again`,
			});
			ctx.log.append({type: 'ticket.filing.done', ticket: event.ticket});
			continue;
		}
		if (!ctx.manifest.ticket_ids.includes(filed.id)) {
			ctx.manifest.ticket_ids = [...ctx.manifest.ticket_ids, filed.id];
			writeManifest(ctx.run, ctx.manifest);
		}
		const blocked = event.blocks === undefined ? undefined : view.tickets.get(event.blocks);
		if (blocked && !blocked.deps.includes(filed.id) && filed.status !== 'done') {
			await ctx.tickets.write(blocked.id, blocked.status, {deps: [...blocked.deps, filed.id]}, `now waits on ${filed.id} (a filing finished after a restart)`);
			await ctx.tickets.onDisk(blocked.id);
		}
		ctx.log.append({type: 'ticket.filing.done', ticket: filed.id});
	}
}
