import {describe, expect, it} from 'vitest';
import {fakeRun} from '../../helpers/engine-fakes.js';

const within = <T>(ms: number, promise: Promise<T>, what: string): Promise<T> =>
	Promise.race([promise, new Promise<T>((_, reject) => setTimeout(() => reject(new Error(`${what} within ${ms} ms`)), ms))]);

describe('a finished ticket frees its slot once done is durable in the log', () => {
	it('the dependent starts while the done ticket file is still being written; the file follows', async () => {
		const {engine, attempts, tracker, events} = fakeRun({tickets: [{id: 'B', deps: ['A']}, {id: 'A'}], config: {concurrency: 1}});
		// A's done file write does not finish until released (a slow disk, a long queue of writes).
		let release = () => {};
		const held = new Promise<void>(resolve => (release = resolve));
		const update = tracker.update.bind(tracker);
		tracker.update = async (id, fields, complete) => {
			if (id === 'A' && fields.status === 'done') await held;
			return update(id, fields, complete);
		};
		const drained = engine.drain();
		await attempts.startedCount(1);
		await within(10_000, attempts.settle('A', {kind: 'done'}), 'A settled');
		await within(10_000, attempts.startedCount(2), 'B started');
		expect(attempts.running()).toEqual(['B']);
		// The log holds done (and the engine's view shows it); the file does not yet.
		expect(
			events()
				.filter(e => e.type === 'ticket.status' && e.ticket === 'A')
				.map(e => (e.type === 'ticket.status' ? e.status : '')),
		).toContain('done');
		expect(engine.view.tickets.get('A')?.status).toBe('done');
		expect(tracker.status('A')).toBe('in_progress');
		release();
		await engine.ctx.tickets.settled();
		expect(tracker.status('A')).toBe('done');
		await attempts.settle('B', {kind: 'done'});
		await drained;
		await engine.ctx.tickets.settled();
		expect(tracker.status('B')).toBe('done');
	});

	it('writes of one ticket that pile up while its file is written go out as one, in order', async () => {
		const {engine, tracker} = fakeRun({tickets: [{id: 'A'}], config: {}});
		let release = () => {};
		const held = new Promise<void>(resolve => (release = resolve));
		const seen: string[] = [];
		const update = tracker.update.bind(tracker);
		tracker.update = async (id, fields, complete) => {
			seen.push(String(fields.status));
			if (seen.length === 1) await held;
			return update(id, fields, complete);
		};
		const {tickets} = engine.ctx;
		await tickets.write('A', 'in_progress', {status: 'in_progress', attempts: 1});
		await new Promise(resolve => setImmediate(resolve));
		await tickets.write('A', 'merged', {status: 'merged', merge_commit: 'm'});
		await tickets.write('A', 'done', {status: 'done', verify_digest: 'sha256:d'});
		release();
		await tickets.settled();
		expect(seen).toEqual(['in_progress', 'done']);
		expect(tracker.tickets.get('A')).toMatchObject({status: 'done', merge_commit: 'm', verify_digest: 'sha256:d', attempts: 1});
	});

	it('a tracker read that raced a file write still shows what the log holds', async () => {
		const {engine, tracker} = fakeRun({tickets: [{id: 'A'}], config: {}});
		const {tickets} = engine.ctx;
		await tickets.write('A', 'in_progress', {status: 'in_progress', attempts: 1});
		await tickets.settled();
		// The read takes the files as they were, and returns only after the next write has landed.
		let landed = () => {};
		const writeLanded = new Promise<void>(resolve => (landed = resolve));
		const load = tracker.load.bind(tracker);
		tracker.load = async () => {
			const before = await load();
			await writeLanded;
			return before;
		};
		const refreshed = engine.view.refresh();
		await tickets.write('A', 'done', {status: 'done', merge_commit: 'm'});
		await tickets.settled();
		landed();
		await refreshed;
		expect(tracker.status('A')).toBe('done');
		expect(engine.view.tickets.get('A')).toMatchObject({status: 'done', merge_commit: 'm'});
	});
});
