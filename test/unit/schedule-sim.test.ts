// The makespan bench's simulator: small DAGs with makespans worked out by hand,
// and its `engine` policy picking exactly what the engine's readySet picks.
import {describe, expect, it} from 'vitest';
import {POLICIES, lowerBound, orderFor, pick, randomDag, rng, simulate} from '../../bench/lib/schedule-sim.mjs';
import {readySet} from '../../source/core/scheduler.js';

type T = {id: string; deps: string[]; locks: string[]; duration: number; priority: number};
const t = (id: string, duration: number, deps: string[] = [], locks: string[] = []): T => ({id, deps, locks, duration, priority: 0});

describe('schedule simulator', () => {
	it('critical path by count starts the head of the longest chain; FIFO does not', () => {
		const dag = [t('T-1', 1), t('T-2', 1), t('T-3', 1), t('T-4', 1, ['T-3'])];
		expect(simulate(dag, 2, 'fifo')).toBe(3);
		expect(simulate(dag, 2, 'engine')).toBe(2);
		expect(lowerBound(dag, 2).bound).toBe(2);
	});

	it('depth barriers wait for the whole level before the next starts', () => {
		const dag = [t('T-1', 3), t('T-2', 1), t('T-3', 1, ['T-2'])];
		expect(simulate(dag, 2, 'depth-barriers')).toBe(4);
		expect(simulate(dag, 2, 'engine')).toBe(3);
	});

	it('a lock runs its holders one at a time, and bounds the makespan below', () => {
		const dag = [t('T-1', 1, [], ['infra']), t('T-2', 1, [], ['infra']), t('T-3', 1)];
		for (const policy of POLICIES) expect(simulate(dag, 3, policy)).toBe(2);
		expect(lowerBound(dag, 3)).toMatchObject({lockedWork: 2, bound: 2});
	});

	it('lock-aware starts what gates the locked work before a longer unlocked chain; critical path by count does not', () => {
		// The lock's two tickets take 4 s one after the other; T-1 gates the second, so it must start at once.
		const dag = [t('T-1', 1), t('T-2', 2, [], ['infra']), t('T-3', 2, ['T-1'], ['infra']), t('T-4', 1), t('T-5', 1, ['T-4']), t('T-6', 1, ['T-5'])];
		expect(lowerBound(dag, 2).bound).toBe(4);
		expect(simulate(dag, 2, 'cp-count')).toBe(5);
		expect(simulate(dag, 2, 'engine')).toBe(4);
	});

	it('critical path by duration prefers the long ticket over the long chain of short ones', () => {
		const dag = [t('T-1', 0.5), t('T-2', 0.5, ['T-1']), t('T-3', 0.5), t('T-4', 3)];
		expect(simulate(dag, 1, 'cp-duration')).toBe(4.5);
		expect(simulate(dag, 2, 'cp-duration')).toBe(3);
		expect(simulate(dag, 2, 'engine')).toBe(3.5);
	});

	it('the same seed gives the same DAG; deps point only backwards; about 10% hold infra', () => {
		const a = randomDag({seed: 7, tickets: 500, min: 1, max: 4});
		expect(randomDag({seed: 7, tickets: 500, min: 1, max: 4})).toEqual(a);
		expect(randomDag({seed: 8, tickets: 500, min: 1, max: 4})).not.toEqual(a);
		for (const [i, ticket] of a.entries()) {
			expect(ticket.deps.length).toBeLessThanOrEqual(3);
			for (const dep of ticket.deps) expect(Number(dep.slice(2))).toBeLessThan(i + 1);
			expect(ticket.duration).toBeGreaterThanOrEqual(1);
			expect(ticket.duration).toBeLessThanOrEqual(4);
		}
		const locked = a.filter(ticket => ticket.locks.length > 0).length;
		expect(locked).toBeGreaterThan(25);
		expect(locked).toBeLessThan(80);
		// Other shapes for bench/policies.mjs: deps only among the last few, or at most one.
		for (const [i, ticket] of randomDag({seed: 7, tickets: 100, min: 1, max: 4, window: 5}).entries())
			for (const dep of ticket.deps) expect(i + 1 - Number(dep.slice(2))).toBeLessThanOrEqual(5);
		for (const ticket of randomDag({seed: 7, tickets: 100, min: 1, max: 4, maxDeps: 1})) expect(ticket.deps.length).toBeLessThanOrEqual(1);
	});

	it("the engine policy (lock-aware) picks exactly what the engine's readySet picks", () => {
		const random = rng(3);
		for (let round = 0; round < 200; round++) {
			const dag = randomDag({seed: round, tickets: 30, min: 1, max: 4, lockShare: 0.3});
			// A state a run can reach: a ticket is done only when its deps are.
			const done = new Set<string>();
			for (const ticket of dag) if (ticket.deps.every(dep => done.has(dep)) && random() < 0.5) done.add(ticket.id);
			const open = dag.filter(ticket => !done.has(ticket.id));
			const heldLocks = random() < 0.3 ? ['infra'] : [];
			const slots = 1 + Math.floor(random() * 5);
			const ours = pick({open, done, heldLocks, slots, order: orderFor('engine', dag)}).map(ticket => ticket.id);
			const engine = readySet({
				tickets: dag.map(ticket => ({...ticket, status: done.has(ticket.id) ? 'done' : 'todo'})),
				statusOf: id => (done.has(id) ? 'done' : 'todo'),
				running: new Set(),
				heldLocks: new Set(heldLocks),
				slots,
				dispatchable: ticket => ticket.status !== 'done',
			}).map(ticket => ticket.id);
			expect(ours).toEqual(engine);
		}
	});
});
