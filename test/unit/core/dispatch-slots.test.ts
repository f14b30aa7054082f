// `concurrency` is agents at once: an attempt past its agent finishes (checks,
// merge, verify) beside the next agents, keeping its locks; in flight stays within 2x.
import {describe, expect, it} from 'vitest';
import {freeSlots} from '../../../source/core/dispatch-slots.js';
import {fakeRun} from '../../helpers/engine-fakes.js';

const running = (...exited: boolean[]) => exited.map((agentExited, i) => ({attempt: i + 1, locks: [], agentExited}));

describe('dispatch slots', () => {
	it('counts agents, not attempts, within twice the concurrency in flight; a reviewer keeps the slot', () => {
		expect(freeSlots(2, running(false, false), false)).toBe(0);
		expect(freeSlots(2, running(true, false), false)).toBe(1);
		expect(freeSlots(2, running(true, true), false)).toBe(2);
		expect(freeSlots(2, running(true, true, false), false)).toBe(1);
		expect(freeSlots(2, running(true, true, true, false), false)).toBe(0);
		expect(freeSlots(2, running(true, true), true)).toBe(0);
	});

	it('the next ticket starts when an agent exits, while the first attempt is still finishing', async () => {
		const {engine, attempts} = fakeRun({tickets: [{id: 'A'}, {id: 'B'}, {id: 'C'}], config: {concurrency: 1}});
		const drained = engine.drain();
		await attempts.startedCount(1);
		expect(attempts.running()).toEqual(['A']);
		attempts.agentExited('A');
		await attempts.startedCount(2);
		expect(attempts.running()).toEqual(['A', 'B']);
		// Two in flight at concurrency 1: C waits for one to end, not for B's agent.
		attempts.agentExited('B');
		await attempts.settle('A', {kind: 'done'});
		await attempts.startedCount(3);
		expect(attempts.running()).toEqual(['B', 'C']);
		await attempts.settle('B', {kind: 'done'});
		await attempts.settle('C', {kind: 'done'});
		await drained;
	});

	it('a finishing attempt keeps its lock: the next holder waits for it to end', async () => {
		const {engine, attempts, tracker} = fakeRun({
			tickets: [
				{id: 'A', locks: ['db']},
				{id: 'B', locks: ['db']},
			],
			config: {concurrency: 2, locks: ['db']},
		});
		const drained = engine.drain();
		await attempts.startedCount(1);
		const read = tracker.nextRead();
		attempts.agentExited('A');
		await read;
		expect(attempts.running()).toEqual(['A']);
		await attempts.settle('A', {kind: 'done'});
		await attempts.startedCount(2);
		expect(attempts.running()).toEqual(['B']);
		await attempts.settle('B', {kind: 'done'});
		await drained;
	});
});
