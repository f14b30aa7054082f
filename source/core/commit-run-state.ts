import type {EngineContext} from './context.js';
import type {EngineEvent} from './events.js';

/** The tickets whose files this run's engine wrote (a status, evidence, a filing), as repo-relative paths. */
async function writtenFiles(ctx: EngineContext, events: readonly EngineEvent[]): Promise<string[]> {
	const ids = new Set<string>();
	const files = new Set<string>();
	for (const event of events) {
		if (event.type === 'ticket.status' || event.type === 'ticket.done') ids.add(event.ticket);
		if (event.type === 'ticket.filed') files.add(event.file);
	}
	for (const ticket of await ctx.tracker.load()) if (ids.has(ticket.id)) files.add(ticket.file);
	return [...files].sort();
}

/**
 * At the run's end, before the final verdict: the ticket files the engine
 * wrote go onto base as one commit of the engine's own (see git/state-commit.ts),
 * so done's evidence survives `git checkout .`, `git stash -u` and a clone.
 * Never fails the run: a problem is a warning and the files stay as they are.
 */
export async function commitRunState(ctx: EngineContext, events: readonly EngineEvent[]): Promise<void> {
	const base = ctx.config.base;
	try {
		// What is committed is what the log says: every queued ticket write is in its file first.
		await ctx.tickets.settled();
		const files = await writtenFiles(ctx, events);
		if (files.length === 0) return;
		const {result, warnings} = await ctx.repo.commitTrackerState({
			base,
			runId: ctx.run.id,
			files,
			beforeMove: (sha, parent) => ctx.log.append({type: 'state.committed', base, sha, parent, files}),
		});
		for (const message of warnings) ctx.log.append({type: 'warning', message});
		if (result.kind === 'foreign') {
			ctx.log.append({
				type: 'warning',
				message:
					`the ticket files were not committed on ${base}: it moved to ${result.tip.slice(0, 12)} outside the merge queue; ` +
					`they stay uncommitted in the checkout until a run ends with ${base} where its merge queue left it`,
			});
		}
	} catch (error) {
		ctx.log.append({
			type: 'warning',
			message:
				`the ticket files were not committed on ${base}: ${(error as Error).message}; ` +
				`they stay uncommitted in the checkout (a later run's end commits them)`,
		});
	}
}
