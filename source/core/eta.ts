import type {EngineEvent} from './events.js';

/**
 * An estimate of the time left: the remaining critical path (the longest chain
 * of unfinished tickets through their deps), or the remaining tickets spread
 * over the agents at once if that is longer, times the median attempt so far.
 */
export type AttemptTimes = {started: ReadonlyMap<string, number>; durations: readonly number[]};

export const emptyAttemptTimes: AttemptTimes = {started: new Map(), durations: []};

/** Start to end (done or failed) of each attempt; interrupted and parked ones are not a measure. */
export function attemptTimesStep(times: AttemptTimes, e: EngineEvent): AttemptTimes {
	if (e.type === 'attempt.started') return {...times, started: new Map(times.started).set(e.ticket, Date.parse(e.at))};
	if (e.type !== 'ticket.done' && e.type !== 'attempt.failed' && e.type !== 'attempt.interrupted' && e.type !== 'attempt.parked') return times;
	const start = times.started.get(e.ticket);
	if (start === undefined) return times;
	const started = new Map(times.started);
	started.delete(e.ticket);
	const counts = e.type === 'ticket.done' || e.type === 'attempt.failed';
	return {started, durations: counts ? [...times.durations, Date.parse(e.at) - start] : times.durations};
}

export function median(values: readonly number[]): number | undefined {
	if (values.length === 0) return undefined;
	const sorted = [...values].sort((a, b) => a - b);
	const mid = Math.floor(sorted.length / 2);
	return sorted.length % 2 === 1 ? sorted[mid] : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
}

type EtaTicket = {id: string; status: string; deps: readonly string[]};

const finished = new Set(['done', 'human_gated', 'failed', 'blocked']);

/** The longest chain of unfinished tickets, counted in tickets (deps outside the list count as met). */
export function remainingCriticalPath(tickets: readonly EtaTicket[]): number {
	const byId = new Map(tickets.map(t => [t.id, t]));
	const memo = new Map<string, number>();
	const depth = (id: string, seen: Set<string>): number => {
		const t = byId.get(id);
		if (!t || finished.has(t.status) || seen.has(id)) return 0;
		const known = memo.get(id);
		if (known !== undefined) return known;
		seen.add(id);
		const d = 1 + Math.max(0, ...t.deps.map(dep => depth(dep, seen)));
		seen.delete(id);
		memo.set(id, d);
		return d;
	};
	return Math.max(0, ...tickets.map(t => depth(t.id, new Set())));
}

/** ms left, or undefined before any attempt has finished (nothing to measure by). */
export function etaMs(tickets: readonly EtaTicket[], durations: readonly number[], concurrency: number): number | undefined {
	const per = median(durations);
	if (per === undefined) return undefined;
	const remaining = tickets.filter(t => !finished.has(t.status)).length;
	const rounds = Math.max(remainingCriticalPath(tickets), Math.ceil(remaining / Math.max(1, concurrency)));
	return rounds * per;
}
