import type {EngineCore} from './engine-state.js';
import type {EngineEvent} from './events.js';
import {reconcileFilings} from './filing-reconcile.js';
import {reapRunProcesses} from '../process/orphans.js';
import {recordDone} from './record-done.js';
import {recoverAgentObjects} from './recover-objects.js';

/** Reconcile a resumed run with what survived the crash, before any dispatch. */
export async function recover(engine: EngineCore): Promise<void> {
	const {ctx, view} = engine;
	const reaped = reapRunProcesses(ctx.run.id);
	if (reaped.length > 0) ctx.log.append({type: 'warning', message: `killed ${reaped.length} process(es) left by the previous engine: ${reaped.join(', ')}`});
	// The boxes are gone: what their git wrote is taken in before any branch is read.
	await recoverAgentObjects(ctx);

	// Redo tracker writes a crash may have cut off: the event came first. A
	// ticket.done logged after the ticket's last status write is the truth.
	const lastWrite = new Map<string, Extract<EngineEvent, {type: 'ticket.status'}>>();
	const doneAfter = new Map<string, Extract<EngineEvent, {type: 'ticket.done'}>>();
	for (const event of engine.events) {
		if (event.type === 'ticket.status') {
			lastWrite.set(event.ticket, event);
			doneAfter.delete(event.ticket);
		}
		if (event.type === 'ticket.done') doneAfter.set(event.ticket, event);
	}
	view.replace(await ctx.tracker.load());
	for (const [id, event] of lastWrite) {
		const ticket = view.tickets.get(id);
		// The file lacks the last write's status or one of the engine's keys (coalesced writes the crash cut off).
		if (ticket && !doneAfter.has(id) && ctx.tickets.stale(ticket, event.status).length > 0) await ctx.tickets.redo(id, event.fields);
	}
	for (const [id, done] of doneAfter) {
		await recordDone(ctx, {ticket: id, attempt: done.attempt, merge: done.mergeCommit, digest: done.verifyDigest});
		await ctx.tickets.write(
			id,
			'done',
			{status: 'done', merge_commit: done.mergeCommit, verify_digest: `sha256:${done.verifyDigest}`, done_at: done.at},
			'done (recorded before a crash)',
		);
	}
	await reconcileFilings(engine);
	await settleOpenAttempts(engine);
	await view.refresh();
	for (const ticket of view.batch()) {
		if (ticket.status === 'in_progress' && !engine.state.resumeVerify.has(ticket.id)) {
			await ctx.tickets.write(ticket.id, 'todo', {status: 'todo', attempts: engine.ledger.used(ticket.id)}, 'resumed after an interrupted attempt');
		}
		if (ticket.status === 'done') await ctx.repo.removeWorktree(ticket.id);
	}
}

/** An attempt the crash cut: continued at verify when its merge landed, otherwise interrupted (not counted). */
async function settleOpenAttempts(engine: EngineCore): Promise<void> {
	const {ctx} = engine;
	for (const {ticket: id, attempt} of engine.ledger.open()) {
		let sha = findEvent(engine.events, 'merge.done', id, attempt)?.sha;
		if (!sha && findEvent(engine.events, 'merge.intent', id, attempt)) {
			// The merge may have landed just before the crash: the trailer on base says so, exactly once.
			sha = await ctx.repo.findMerge(id, attempt, ctx.config.base);
			if (sha) {
				// The crash may have come between the ref update and the checkout sync.
				const parent = await ctx.repo.revParse(`${sha}^1`);
				const warnings = parent ? await ctx.repo.syncCheckouts(ctx.config.base, parent, sha) : [];
				ctx.log.append({type: 'merge.done', ticket: id, attempt, sha, warnings});
				for (const message of warnings) ctx.log.append({type: 'warning', ticket: id, message});
				await ctx.tickets.write(id, 'merged', {status: 'merged', merge_commit: sha}, 'merge found on base after a restart');
			}
		}
		if (sha) engine.state.resumeVerify.set(id, {attempt, sha});
		else ctx.log.append({type: 'attempt.interrupted', ticket: id, attempt, reason: 'the engine stopped mid-attempt; the attempt is not counted'});
	}
}

function findEvent<T extends 'merge.done' | 'merge.intent'>(
	events: readonly EngineEvent[],
	type: T,
	ticket: string,
	attempt: number,
): Extract<EngineEvent, {type: T}> | undefined {
	// The last: an interrupted attempt's number is used again by the next one.
	return events.findLast((e): e is Extract<EngineEvent, {type: T}> => e.type === type && 'ticket' in e && e.ticket === ticket && e.attempt === attempt);
}
