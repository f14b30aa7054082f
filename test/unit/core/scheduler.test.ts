import {describe, expect, it} from 'vitest';
import {readySet, scheduleRanks, waitingOn, type SchedulableTicket} from '../../../source/core/scheduler.js';

const t = (id: string, deps: string[] = [], extra: Partial<SchedulableTicket> = {}): SchedulableTicket => ({
	id,
	status: 'todo',
	deps,
	locks: [],
	priority: 2,
	...extra,
});

function ready(tickets: SchedulableTicket[], opts: {running?: string[]; held?: string[]; slots?: number} = {}) {
	const byId = new Map(tickets.map(x => [x.id, x]));
	return readySet({
		tickets,
		statusOf: id => byId.get(id)?.status,
		running: new Set(opts.running ?? []),
		heldLocks: new Set(opts.held ?? []),
		slots: opts.slots ?? 10,
		dispatchable: x => x.status === 'todo',
	}).map(x => x.id);
}

describe('ready set', () => {
	it('puts the head of the longest remaining chain first, before priority and id', () => {
		// A -> B -> C is the critical path; Z is alone but has a better priority and id.
		const tickets = [t('Z', [], {priority: 0}), t('A'), t('B', ['A']), t('C', ['B']), t('D')];
		expect(scheduleRanks(tickets).get('A')).toBe(3);
		expect(ready(tickets)).toEqual(['A', 'Z', 'D']);
	});

	it('puts the head of a chain holding more locked tickets before a longer chain without locks', () => {
		// Locked tickets run one at a time: L waits on A, so A goes first although B -> C -> D is longer.
		const tickets = [t('B'), t('C', ['B']), t('D', ['C']), t('A'), t('L', ['A'], {locks: ['infra']})];
		expect(ready(tickets, {slots: 1})).toEqual(['A']);
		// Among chains with as many locked tickets, the longer one goes first.
		const even = [t('A'), t('L', ['A'], {locks: ['infra']}), t('B'), t('C', ['B']), t('M', ['C'], {locks: ['infra']})];
		expect(ready(even, {slots: 1})).toEqual(['B']);
	});

	it('breaks ties by priority, then by natural id order', () => {
		expect(ready([t('T-10'), t('T-9'), t('T-2', [], {priority: 1})])).toEqual(['T-2', 'T-9', 'T-10']);
	});

	it('starts a ticket only when every dep is done', () => {
		const tickets = [t('A', [], {status: 'done'}), t('B', ['A']), t('C', ['A', 'B'])];
		expect(ready(tickets)).toEqual(['B']);
	});

	it('never starts two tickets that share a lock, nor one whose lock is held', () => {
		const tickets = [t('I-1', [], {locks: ['infra']}), t('I-2', [], {locks: ['infra']}), t('X')];
		expect(ready(tickets)).toEqual(['I-1', 'X']);
		expect(ready(tickets, {held: ['infra']})).toEqual(['X']);
	});

	it('fills only the free slots and skips what is running', () => {
		const tickets = [t('A'), t('B'), t('C')];
		expect(ready(tickets, {slots: 1})).toEqual(['A']);
		expect(ready(tickets, {running: ['A'], slots: 2})).toEqual(['B', 'C']);
	});

	it('done tickets do not count toward the remaining path', () => {
		const tickets = [t('A', [], {status: 'done'}), t('B', ['A']), t('C', ['B'])];
		const lengths = scheduleRanks(tickets);
		expect(lengths.has('A')).toBe(false);
		expect(lengths.get('B')).toBe(2);
	});

	it('says what a waiting ticket waits on', () => {
		const status = new Map([['A', 'in_progress']]);
		expect(waitingOn(t('B', ['A'], {locks: ['infra']}), id => status.get(id), new Set(['infra']))).toEqual({deps: ['A'], locks: ['infra']});
	});
});
