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
 * The rank of each unfinished ticket: the heaviest chain of unfinished work
 * that hangs on it, counting itself, where a ticket holding a lock outweighs
 * any number of unlocked ones. Locked tickets run one at a time, so the chain
 * with the most locked tickets is the one the run waits on; among equals the
 * longest chain goes first (the critical-path heuristic of list scheduling).
 * Chosen by simulation over many DAGs (`npm run bench -- policies`).
 */
export function scheduleRanks(tickets: readonly SchedulableTicket[]): Map<string, number> {
	const open = new Map<string, SchedulableTicket>();
	for (const t of tickets) if (t.status !== 'done') open.set(t.id, t);
	const dependents = new Map<string, string[]>();
	for (const t of open.values()) {
		for (const dep of t.deps) {
			if (!open.has(dep)) continue;
			const list = dependents.get(dep);
			if (list) list.push(t.id);
			else dependents.set(dep, [t.id]);
		}
	}
	const lockedWeight = open.size + 1;
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
		const rank = longest + ((open.get(id)?.locks.length ?? 0) > 0 ? lockedWeight : 1);
		memo.set(id, rank);
		return rank;
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

/** Tickets whose deps are done, whose locks are free, highest rank first (scheduleRanks), then priority, then id. */
export function readySet(input: ReadyInput): SchedulableTicket[] {
	const ranks = scheduleRanks(input.tickets);
	const candidates = input.tickets
		.filter(t => !input.running.has(t.id) && input.dispatchable(t))
		.filter(t => t.deps.every(dep => input.statusOf(dep) === 'done'))
		.sort((a, b) => (ranks.get(b.id) ?? 0) - (ranks.get(a.id) ?? 0) || a.priority - b.priority || compareIds(a.id, b.id));
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
