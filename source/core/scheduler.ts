// The ready set: which tickets may start now. Pure functions over a snapshot,
// recomputed on every settlement, so there is no timer and nothing to poll.

export type SchedulableTicket = {
	id: string;
	status: string;
	deps: readonly string[];
	locks: readonly string[];
	priority: number;
};

const collator = new Intl.Collator('en', {numeric: true});
export const compareIds = (a: string, b: string): number => collator.compare(a, b);

/**
 * Longest chain of unfinished work that hangs on each unfinished ticket,
 * counting itself: starting the head of the longest chain first is the
 * standard critical-path heuristic for list scheduling.
 */
export function remainingPathLengths(tickets: readonly SchedulableTicket[]): Map<string, number> {
	const open = new Map(tickets.filter(t => t.status !== 'done').map(t => [t.id, t]));
	const dependents = new Map<string, string[]>();
	for (const t of open.values()) {
		for (const dep of t.deps) {
			if (!open.has(dep)) continue;
			dependents.set(dep, [...(dependents.get(dep) ?? []), t.id]);
		}
	}
	const memo = new Map<string, number>();
	const visiting = new Set<string>();
	const length = (id: string): number => {
		const known = memo.get(id);
		if (known !== undefined) return known;
		// The tracker refuses cycles before a run; this only keeps a bad graph from recursing forever.
		if (visiting.has(id)) return 0;
		visiting.add(id);
		let longest = 0;
		for (const next of dependents.get(id) ?? []) longest = Math.max(longest, length(next));
		visiting.delete(id);
		memo.set(id, longest + 1);
		return longest + 1;
	};
	for (const id of open.keys()) length(id);
	return memo;
}

export type ReadyInput = {
	/** The batch's tickets. */
	tickets: readonly SchedulableTicket[];
	/** Status of every known ticket by id (deps may sit outside the batch). */
	statusOf: (id: string) => string | undefined;
	/** Ids with an attempt in flight. */
	running: ReadonlySet<string>;
	/** Locks held by the attempts in flight. */
	heldLocks: ReadonlySet<string>;
	/** Free worker slots. */
	slots: number;
	/** Whether the engine would start an attempt for this ticket at all. */
	dispatchable: (ticket: SchedulableTicket) => boolean;
};

/** Tickets whose deps are done, whose locks are free, critical path first, then priority, then id. */
export function readySet(input: ReadyInput): SchedulableTicket[] {
	const lengths = remainingPathLengths(input.tickets);
	const candidates = input.tickets
		.filter(t => !input.running.has(t.id) && input.dispatchable(t))
		.filter(t => t.deps.every(dep => input.statusOf(dep) === 'done'))
		.sort((a, b) => (lengths.get(b.id) ?? 0) - (lengths.get(a.id) ?? 0) || a.priority - b.priority || compareIds(a.id, b.id));
	const held = new Set(input.heldLocks);
	const picked: SchedulableTicket[] = [];
	for (const t of candidates) {
		if (picked.length >= input.slots) break;
		if (t.locks.some(lock => held.has(lock))) continue;
		for (const lock of t.locks) held.add(lock);
		picked.push(t);
	}
	return picked;
}

/** Why a ticket is not running: the deps it waits on and the locks others hold. */
export function waitingOn(
	ticket: SchedulableTicket,
	statusOf: (id: string) => string | undefined,
	heldLocks: ReadonlySet<string>,
): {deps: string[]; locks: string[]} {
	return {
		deps: ticket.deps.filter(dep => statusOf(dep) !== 'done'),
		locks: ticket.locks.filter(lock => heldLocks.has(lock)),
	};
}
