import {describe, expect, it} from 'vitest';
import type {AttemptOutcome} from '../../../source/core/attempt.js';
import {fakeRun} from '../../helpers/engine-fakes.js';

// The engine's loop over fakes (test/helpers/engine-fakes.ts): no git, no agent, no oracle process.
const failed = (reason = 'exit 1'): AttemptOutcome => ({kind: 'failed', stage: 'checks', reason: `check \`npm test\` failed (${reason})`, merged: false});

describe('the engine dispatches and settles', () => {
	it('in dependency order: a ticket starts only once what it depends on is done', async () => {
		const {engine, attempts, tracker} = fakeRun({tickets: [{id: 'C', deps: ['B']}, {id: 'B', deps: ['A']}, {id: 'A'}], config: {concurrency: 3}});
		const drained = engine.drain();
		await attempts.startedCount(1);
		expect(attempts.running()).toEqual(['A']);
		await attempts.settle('A', {kind: 'done'});
		await attempts.startedCount(2);
		expect(attempts.running()).toEqual(['B']);
		await attempts.settle('B', {kind: 'done'});
		await attempts.startedCount(3);
		await attempts.settle('C', {kind: 'done'});
		await drained;
		expect(attempts.started.map(s => s.ticket)).toEqual(['A', 'B', 'C']);
		// The files follow the log off the dispatch path (ticket-writer.ts).
		await engine.ctx.tickets.settled();
		expect(['A', 'B', 'C'].map(id => tracker.status(id))).toEqual(['done', 'done', 'done']);
	});

	it('within the attempt budget: each failure is told to the next attempt, the last one marks the ticket failed', async () => {
		const {engine, attempts, tracker, events} = fakeRun({tickets: [{id: 'A'}], config: {attempts: 2}});
		const drained = engine.drain();
		await attempts.startedCount(1);
		await attempts.settle('A', failed('exit 1'));
		await attempts.startedCount(2);
		expect(attempts.started[1]).toMatchObject({ticket: 'A', attempt: 2, previous: ['Attempt 1 failed at checks: check `npm test` failed (exit 1)']});
		await attempts.settle('A', failed('exit 2'));
		await drained;
		expect(attempts.started.map(s => s.attempt)).toEqual([1, 2]);
		// The files follow the log off the dispatch path (ticket-writer.ts).
		await engine.ctx.tickets.settled();
		expect(tracker.status('A')).toBe('failed');
		expect(tracker.tickets.get('A')?.failure).toMatch(/^attempt 2 \(checks\)/);
		expect(events().filter(e => e.type === 'attempt.failed')).toHaveLength(2);
	});

	it('an interrupted attempt is not charged: it runs again under the same number', async () => {
		const {engine, attempts, tracker} = fakeRun({tickets: [{id: 'A'}], config: {attempts: 1}});
		const drained = engine.drain();
		await attempts.startedCount(1);
		await attempts.settle('A', {kind: 'interrupted', reason: 'the agent slot was taken back'});
		await attempts.startedCount(2);
		await attempts.settle('A', {kind: 'done'});
		await drained;
		expect(attempts.started.map(s => s.attempt)).toEqual([1, 1]);
		// The files follow the log off the dispatch path (ticket-writer.ts).
		await engine.ctx.tickets.settled();
		expect(tracker.status('A')).toBe('done');
	});

	it('a usage limit holds the ticket until the clock passes it, without spending an attempt', async () => {
		const {engine, attempts, tracker, clock} = fakeRun({tickets: [{id: 'A'}], config: {attempts: 1}});
		const drained = engine.drain();
		await attempts.startedCount(1);
		let read = tracker.nextRead();
		await attempts.settle('A', {kind: 'limited', until: clock.now + 3_600_000, reason: 'rate limit'});
		await read;
		// Woken early (anything may wake the loop): the limit still holds.
		read = tracker.nextRead();
		engine.wake();
		await read;
		expect(attempts.running()).toEqual([]);
		clock.now += 3_600_001;
		engine.wake();
		await attempts.startedCount(2);
		expect(attempts.started[1]).toMatchObject({ticket: 'A', attempt: 1});
		await attempts.settle('A', {kind: 'done'});
		// The files follow the log off the dispatch path (ticket-writer.ts).
		await engine.ctx.tickets.settled();
		expect(tracker.status('A')).toBe('done');
		// The limit's timer (real time) still waits: stop, as the run's end would.
		engine.requestStop();
		await drained;
		await engine.wind();
	});

	it('a lock serializes two tickets that hold it, with slots to spare', async () => {
		const {engine, attempts, tracker} = fakeRun({
			tickets: [{id: 'A', locks: ['db']}, {id: 'B', locks: ['db']}, {id: 'C'}],
			config: {concurrency: 3, locks: ['db']},
		});
		const drained = engine.drain();
		await attempts.startedCount(2);
		expect(attempts.running()).toEqual(['A', 'C']);
		// C's settlement wakes the loop while A still holds the lock: B waits.
		const read = tracker.nextRead();
		await attempts.settle('C', {kind: 'done'});
		await read;
		expect(attempts.running()).toEqual(['A']);
		await attempts.settle('A', {kind: 'done'});
		await attempts.startedCount(3);
		expect(attempts.running()).toEqual(['B']);
		await attempts.settle('B', {kind: 'done'});
		await drained;
	});

	it('a ticket a human gates mid-attempt keeps the gate: the failure after it is not written, the attempt not charged', async () => {
		const {engine, attempts, tracker, events, gates} = fakeRun({tickets: [{id: 'A'}]});
		const drained = engine.drain();
		await attempts.startedCount(1);
		await expect(engine.controls.gate('A', 'wrong approach', 'me')).resolves.toBe('A gated');
		// The oracle's evidence of the gate: a ledger record, written before the ticket file.
		expect(gates).toMatchObject([{kind: 'gate', ticket: 'A', by: 'me', reason: 'wrong approach'}]);
		await attempts.settle('A', failed());
		await drained;
		// The files follow the log off the dispatch path (ticket-writer.ts).
		await engine.ctx.tickets.settled();
		expect(tracker.status('A')).toBe('human_gated');
		expect(events().filter(e => e.type === 'attempt.interrupted')).toMatchObject([
			{ticket: 'A', attempt: 1, reason: 'a human gated the ticket during the attempt'},
		]);
		expect(engine.ledger.used('A')).toBe(0);
	});
});
