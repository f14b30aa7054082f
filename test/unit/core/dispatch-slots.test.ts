// `concurrency` is agents at once: an attempt past its agent finishes (checks,
// merge, verify) beside the next agents, keeping its locks; in flight stays within 4x.
import {describe, expect, it} from 'vitest';
import {freeSlots} from '../../../source/core/dispatch-slots.js';
import {fakeRun} from '../../helpers/engine-fakes.js';

const running = (...exited: boolean[]) => exited.map((agentExited, i) => ({attempt: i + 1, locks: [], agentExited}));

describe('dispatch slots', () => {
	it('counts agents, not attempts, within four times the concurrency in flight; a reviewer keeps the slot', () => {
		expect(freeSlots(2, running(false, false), false)).toBe(0);
		expect(freeSlots(2, running(true, false), false)).toBe(1);
		expect(freeSlots(2, running(true, true), false)).toBe(2);
		expect(freeSlots(2, running(true, true, false), false)).toBe(1);
		expect(freeSlots(2, running(true, true, true, false), false)).toBe(1);
		expect(freeSlots(2, running(true, true, true, true, true, true, false), false)).toBe(1);
		expect(freeSlots(2, running(true, true, true, true, true, true, true, false), false)).toBe(0);
		expect(freeSlots(2, running(true, true), true)).toBe(0);
	});

	it('the next ticket starts when an agent exits, while the earlier attempts are still finishing, up to four in flight', async () => {
		const ids = ['A', 'B', 'C', 'D', 'E'];
		const {engine, attempts, tracker} = fakeRun({tickets: ids.map(id => ({id})), config: {concurrency: 1}});
		const drained = engine.drain();
		let read: Promise<void> | undefined;
		for (const [i, id] of ids.slice(0, 4).entries()) {
			await attempts.startedCount(i + 1);
			expect(attempts.running()).toEqual(ids.slice(0, i + 1));
			if (id === 'D') read = tracker.nextRead();
			attempts.agentExited(id);
		}
		// Four in flight at concurrency 1, none holding an agent: E waits for one to end.
		await read;
		expect(attempts.running()).toEqual(['A', 'B', 'C', 'D']);
		await attempts.settle('A', {kind: 'done'});
		await attempts.startedCount(5);
		expect(attempts.running()).toEqual(['B', 'C', 'D', 'E']);
		for (const id of ['B', 'C', 'D', 'E']) await attempts.settle(id, {kind: 'done'});
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
