// Pure list-scheduling simulator for the makespan bench: a DAG of tickets with
// durations and locks, W workers, a policy; no I/O, no clock. The `engine`
// policy mirrors source/core/scheduler.ts's readySet exactly: ready tickets
// sorted by the lock-aware rank (count), then priority, then id; picked in
// that order, skipping one whose lock is held (by a runner or an earlier pick).
// The engine never knows a ticket's duration, so its rank counts tickets.

/** Seeded PRNG (mulberry32): the same seed gives the same DAG everywhere. */
export function rng(seed) {
	let a = seed >>> 0;
	return () => {
		a = (a + 0x6d2b79f5) >>> 0;
		let t = a;
		t = Math.imul(t ^ (t >>> 15), t | 1);
		t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
		return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
	};
}

/**
 * Tickets T-1..T-n; each depends on 0–`maxDeps` earlier ones (any earlier one, or among the last `window`),
 * a `lockShare` of them hold `infra`, durations uniform in [min, max] seconds. The defaults are the makespan bench's DAG.
 */
export function randomDag({seed, tickets, min, max, lockShare = 0.1, maxDeps = 3, window = Infinity}) {
	const random = rng(seed);
	const out = [];
	for (let i = 0; i < tickets; i++) {
		const want = Math.floor(random() * (maxDeps + 1));
		const deps = new Set();
		const reach = Math.min(i, window);
		for (let k = 0; k < want && i > 0; k++) deps.add(`T-${i - reach + 1 + Math.floor(random() * reach)}`);
		const duration = Math.round((min + random() * (max - min)) * 1000) / 1000;
		out.push({id: `T-${i + 1}`, deps: [...deps], locks: random() < lockShare ? ['infra'] : [], duration, priority: 0});
	}
	return out;
}

const idNumber = id => Number(/\d+$/.exec(id)?.[0] ?? 0);
const byId = (a, b) => idNumber(a.id) - idNumber(b.id) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

function dependentsOf(tickets) {
	const dependents = new Map(tickets.map(t => [t.id, []]));
	for (const t of tickets) for (const dep of t.deps) dependents.get(dep)?.push(t);
	return dependents;
}

/** For each ticket, the longest chain hanging on it (itself included) under `weight`, memoised, in reverse topological order. */
function longestChain(tickets, weight) {
	const dependents = dependentsOf(tickets);
	const memo = new Map();
	const visit = t => {
		if (memo.has(t.id)) return memo.get(t.id);
		let longest = 0;
		for (const next of dependents.get(t.id)) longest = Math.max(longest, visit(next));
		memo.set(t.id, longest + weight(t));
		return longest + weight(t);
	};
	for (const t of tickets) visit(t);
	return memo;
}

/** Locked work a ticket gates: the summed `weight` of the locked tickets among itself and everything that (transitively) waits on it. */
function lockedWorkGated(tickets, weight = t => t.duration) {
	const dependents = dependentsOf(tickets);
	const out = new Map();
	for (const t of tickets) {
		const seen = new Set([t.id]);
		const stack = [t];
		let work = 0;
		while (stack.length > 0) {
			const u = stack.pop();
			if (u.locks.length > 0) work += weight(u);
			for (const v of dependents.get(u.id)) {
				if (seen.has(v.id)) continue;
				seen.add(v.id);
				stack.push(v);
			}
		}
		out.set(t.id, work);
	}
	return out;
}

function depths(tickets) {
	const index = new Map(tickets.map(t => [t.id, t]));
	const memo = new Map();
	const depth = t => {
		if (!memo.has(t.id)) memo.set(t.id, t.deps.length === 0 ? 0 : 1 + Math.max(...t.deps.map(d => depth(index.get(d)))));
		return memo.get(t.id);
	};
	for (const t of tickets) depth(t);
	return memo;
}

/** Max of the weighted critical path, total work ÷ workers, and the total work under one lock. */
export function lowerBound(tickets, workers) {
	const path = Math.max(0, ...longestChain(tickets, t => t.duration).values());
	const total = tickets.reduce((sum, t) => sum + t.duration, 0);
	const perLock = new Map();
	for (const t of tickets) for (const lock of t.locks) perLock.set(lock, (perLock.get(lock) ?? 0) + t.duration);
	return {
		bound: Math.max(path, total / workers, ...perLock.values()),
		criticalPath: path,
		workPerWorker: total / workers,
		lockedWork: Math.max(0, ...perLock.values()),
	};
}

/** `engine` is what the engine runs (lock-aware); the rest are there to compare it with. */
export const POLICIES = ['engine', 'fifo', 'cp-count', 'cp-duration', 'lock-aware', 'locked-count-gated', 'locked-work-gated', 'depth-barriers'];

/**
 * Lock-aware rank, by count (the engine's): the heaviest chain hanging on a ticket, where a locked
 * ticket outweighs any number of unlocked ones — most locked tickets on a chain first, then the longest.
 */
export function lockAwareRanks(tickets) {
	const lockedWeight = tickets.length + 1;
	return longestChain(tickets, t => (t.locks.length > 0 ? lockedWeight : 1));
}

/** A sort key per policy: lower sorts first. */
function orderFor(policy, tickets) {
	if (policy === 'fifo' || policy === 'depth-barriers') return byId;
	if (policy === 'engine' || policy === 'lock-aware') {
		const rank = lockAwareRanks(tickets);
		return (a, b) => rank.get(b.id) - rank.get(a.id) || a.priority - b.priority || byId(a, b);
	}
	if (policy === 'cp-count') {
		const length = longestChain(tickets, () => 1);
		return (a, b) => length.get(b.id) - length.get(a.id) || a.priority - b.priority || byId(a, b);
	}
	if (policy === 'locked-count-gated') {
		// The same rank by count: the chain plus the locked tickets gated (lost to lock-aware in bench/policies.mjs).
		const length = longestChain(tickets, () => 1);
		const gated = lockedWorkGated(tickets, () => 1);
		const rank = t => length.get(t.id) + gated.get(t.id);
		return (a, b) => rank(b) - rank(a) || a.priority - b.priority || byId(a, b);
	}
	const path = longestChain(tickets, t => t.duration);
	if (policy === 'cp-duration') return (a, b) => path.get(b.id) - path.get(a.id) || byId(a, b);
	if (policy === 'locked-work-gated') {
		// Knows durations (the engine does not): the critical path plus the locked work the ticket gates.
		const gated = lockedWorkGated(tickets);
		const rank = t => path.get(t.id) + gated.get(t.id);
		return (a, b) => rank(b) - rank(a) || byId(a, b);
	}
	throw new Error(`unknown policy ${policy} (one of ${POLICIES.join(', ')})`);
}

/** What `policy` starts now: ready tickets (deps done, not running, in the open barrier level) in policy order, skipping held locks, at most `slots`. */
export function pick({open, done, heldLocks, slots, order, inLevel = () => true}) {
	const held = new Set(heldLocks);
	const picked = [];
	for (const t of open.filter(t => t.deps.every(d => done.has(d)) && inLevel(t)).sort(order)) {
		if (picked.length >= slots) break;
		if (t.locks.some(lock => held.has(lock))) continue;
		for (const lock of t.locks) held.add(lock);
		picked.push(t);
	}
	return picked;
}

export {orderFor};

/** Makespan (seconds) of the DAG on `workers` slots under `policy`, every ticket taking exactly its duration. */
export function simulate(tickets, workers, policy) {
	const order = orderFor(policy, tickets);
	const depth = policy === 'depth-barriers' ? depths(tickets) : undefined;
	const done = new Set();
	let running = []; // {ticket, end}
	let open = [...tickets];
	let now = 0;
	let level = 0;
	while (open.length > 0) {
		// Depth barriers: level k+1 starts only when all of level k has finished.
		if (depth) while (running.length === 0 && !open.some(t => depth.get(t.id) === level)) level++;
		const started = pick({
			open,
			done,
			heldLocks: running.flatMap(r => r.ticket.locks),
			slots: workers - running.length,
			order,
			inLevel: t => !depth || depth.get(t.id) === level,
		});
		running.push(...started.map(ticket => ({ticket, end: now + ticket.duration})));
		open = open.filter(t => !started.includes(t));
		if (running.length === 0) throw new Error('the DAG cannot finish: a dependency is missing or cyclic');
		now = Math.min(...running.map(r => r.end));
		for (const r of running) if (r.end === now) done.add(r.ticket.id);
		running = running.filter(r => r.end !== now);
	}
	return Math.max(now, ...running.map(r => r.end));
}
