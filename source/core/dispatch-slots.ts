import type {RunningAttempt} from './engine-state.js';

/**
 * How many attempts may start now. `concurrency` is agents at once: an attempt
 * whose agent has exited holds no slot while its checks, guard, merge and
 * verify run beside the next agents (it keeps its locks to the end). All in
 * flight stay within twice `concurrency`, so finishing work cannot pile up.
 * With a reviewer the attempt runs another agent later, so it keeps its slot.
 */
export function freeSlots(concurrency: number, running: Iterable<RunningAttempt>, reviewed: boolean): number {
	let inFlight = 0;
	let holding = 0;
	for (const attempt of running) {
		inFlight++;
		if (reviewed || !attempt.agentExited) holding++;
	}
	return Math.max(0, Math.min(concurrency - holding, 2 * concurrency - inFlight));
}

/** The attempt's agent has exited (its claim is being read): its slot is free. True when that changed anything. */
export function agentExited(running: ReadonlyMap<string, RunningAttempt>, id: string, attempt: number): boolean {
	const entry = running.get(id);
	if (!entry || entry.attempt !== attempt || entry.agentExited) return false;
	entry.agentExited = true;
	return true;
}
