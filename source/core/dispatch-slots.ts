import type {RunningAttempt} from './engine-state.js';

/**
 * How many attempts may start now. `concurrency` is agents at once: an attempt
 * whose agent has exited holds no slot while its checks, guard, merge and
 * verify run beside the next agents (it keeps its locks to the end). All in
 * flight stay within IN_FLIGHT × `concurrency`: short tickets finish in
 * several times their agent's time, and a lower bound idled the agents; a
 * stalled merge queue still cannot pile up work without end.
 * With a reviewer the attempt runs another agent later, so it keeps its slot.
 */
export const IN_FLIGHT = 4;

export function freeSlots(concurrency: number, running: Iterable<RunningAttempt>, reviewed: boolean): number {
	let inFlight = 0;
	let holding = 0;
	for (const attempt of running) {
		inFlight++;
		if (reviewed || !attempt.agentExited) holding++;
	}
	return Math.max(0, Math.min(concurrency - holding, IN_FLIGHT * concurrency - inFlight));
}

/** The attempt's agent has exited (its claim is being read): its slot is free. True when that changed anything. */
export function agentExited(running: ReadonlyMap<string, RunningAttempt>, id: string, attempt: number): boolean {
	const entry = running.get(id);
	if (!entry || entry.attempt !== attempt || entry.agentExited) return false;
	entry.agentExited = true;
	return true;
}
