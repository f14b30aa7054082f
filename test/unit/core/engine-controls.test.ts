import {describe, expect, it} from 'vitest';
import type {EngineEvent, NewEvent} from '../../../source/core/events.js';
import {fileTicket} from '../../../source/core/filing-reconcile.js';
import {fakeRun} from '../../helpers/engine-fakes.js';

// Human controls, filing and recovery over the engine's fakes (test/helpers/engine-fakes.ts).
describe('the engine under human controls and worker requests', () => {
	it('pause: the running attempt finishes, nothing new starts until resume', async () => {
		const {engine, attempts, tracker} = fakeRun({tickets: [{id: 'A'}, {id: 'B'}], config: {concurrency: 1}});
		const drained = engine.drain();
		await attempts.startedCount(1);
		expect(await engine.controls.pause('me')).toMatch(/^paused/);
		const read = tracker.nextRead();
		await attempts.settle('A', {kind: 'done'});
		await read;
		expect(attempts.running()).toEqual([]);
		expect(await engine.controls.resume('me')).toBe('resumed');
		await attempts.startedCount(2);
		await attempts.settle('B', {kind: 'done'});
		await drained;
		expect(engine.events.filter(e => e.type === 'intervention').map(e => (e.type === 'intervention' ? e.kind : ''))).toEqual(['pause', 'resume']);
	});

	it('a worker that files a blocker for its own ticket is parked: the blocker runs first, then the same attempt number again', async () => {
		const {engine, attempts, tracker} = fakeRun({tickets: [{id: 'A'}]});
		const drained = engine.drain();
		await attempts.startedCount(1);
		const said = await fileTicket(engine, {type: 'file', from: 'A', title: 'a missing fixture', body: 'make it', deps: [], locks: [], blocks: 'A'});
		expect(said).toBe('filed A-1; A now waits on it');
		expect(tracker.tickets.get('A')?.deps).toEqual(['A-1']);
		const claim = engine.ctx.claimAfterAgent('A', 1);
		expect(claim?.kind).toBe('parked');
		await attempts.settle('A', {kind: 'parked', reason: claim?.kind === 'parked' ? claim.reason : ''});
		await attempts.startedCount(2);
		expect(attempts.running()).toEqual(['A-1']);
		await attempts.settle('A-1', {kind: 'done'});
		await attempts.startedCount(3);
		expect(attempts.started[2]).toMatchObject({ticket: 'A', attempt: 1});
		expect(attempts.started[2]?.previous[0]).toMatch(/^Attempt 1 was parked: it filed A-1/);
		await attempts.settle('A', {kind: 'done'});
		await drained;
		expect(engine.ctx.manifest.ticket_ids).toEqual(['A', 'A-1']);
	});

	it('recovery: an attempt a crash cut before its merge is interrupted, not charged, and its ticket is todo again', async () => {
		const raw: NewEvent[] = [
			{type: 'attempt.started', ticket: 'A', attempt: 1, maxAttempts: 3, agent: 'fake', worktree: '/w'},
			{type: 'ticket.status', ticket: 'A', status: 'in_progress', fields: {status: 'in_progress', attempts: 1}},
		];
		const history = raw.map((event, i) => ({...event, seq: i + 1, at: new Date(0).toISOString()}) as EngineEvent);
		const {engine, attempts, tracker} = fakeRun({tickets: [{id: 'A', status: 'in_progress'}], history});
		await engine.recover();
		expect(engine.events.filter(e => e.type === 'attempt.interrupted')).toMatchObject([{ticket: 'A', attempt: 1}]);
		// The files follow the log off the dispatch path (ticket-writer.ts).
		await engine.ctx.tickets.settled();
		expect(tracker.status('A')).toBe('todo');
		const drained = engine.drain();
		await attempts.startedCount(1);
		expect(attempts.started[0]).toMatchObject({ticket: 'A', attempt: 1});
		await attempts.settle('A', {kind: 'done'});
		await drained;
	});
});
