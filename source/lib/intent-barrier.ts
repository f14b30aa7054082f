/**
 * Where side effects wait for the intents before them. An event log written by
 * group commit (core/event-log.ts) is durable a little after each append; every
 * way the engine acts on the world (a git or agent process, a ticket file)
 * passes here first, so none starts before the fsync of what it acts on.
 */
const logs = new Set<{durable: () => Promise<void>}>();

/** A log whose appends side effects must follow (until the returned function is called). */
export function registerIntentLog(log: {durable: () => Promise<void>}): () => void {
	logs.add(log);
	return () => logs.delete(log);
}

/** Resolves once everything appended so far to every open event log is on disk. */
export async function intentsDurable(): Promise<void> {
	for (const log of logs) await log.durable();
}
