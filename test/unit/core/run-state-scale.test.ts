import {performance} from 'node:perf_hooks';
import {describe, expect, it} from 'vitest';
import type {EngineEvent, NewEvent} from '../../../source/core/events.js';
import {emptyRunState, reduce} from '../../../source/core/run-state.js';

const usage = {inputTokens: 10, outputTokens: 1, costUsd: 0.01};

/** What a client replays when it attaches to a long run: the tickets, then five events per ticket. */
function longLog(tickets: number): EngineEvent[] {
	const ids = Array.from({length: tickets}, (_, i) => `T-${i}`);
	const raw: NewEvent[] = [{type: 'run.tickets', tickets: ids.map(id => ({id, title: id, status: 'todo', deps: [], locks: [], priority: 0}))}];
	for (const ticket of ids) {
		raw.push(
			{type: 'attempt.started', ticket, attempt: 1, maxAttempts: 3, agent: 'demo', worktree: '/w'},
			{type: 'ticket.status', ticket, status: 'in_progress'},
			{type: 'agent.exited', ticket, attempt: 1, ok: true, reason: 'exit 0', durationMs: 1, usage},
			{type: 'ticket.done', ticket, attempt: 1, mergeCommit: 'm', verifyDigest: 'd'},
			{type: 'ticket.status', ticket, status: 'done'},
		);
	}
	return raw.map((e, i) => ({...e, seq: i + 1, at: '2026-01-01T00:00:00Z'}) as EngineEvent);
}

const replay = (log: EngineEvent[]) => log.reduce(reduce, emptyRunState(4));

/** The fastest of a few replays: the least disturbed by whatever else the machine runs. */
function replayMs(log: EngineEvent[]): number {
	let best = Infinity;
	for (let run = 0; run < 3; run++) {
		const start = performance.now();
		replay(log);
		best = Math.min(best, performance.now() - start);
	}
	return best;
}

describe("a client's replay of the event log", () => {
	it('is linear in the log: 10× the tickets cost about 10× the time, not 100×', () => {
		const small = longLog(500);
		const large = longLog(5_000);
		replayMs(small); // warm up the JIT
		// A copy of the ticket map per event (the fold before) is ~100× here; the linear one 10-20×.
		expect(replayMs(large) / replayMs(small)).toBeLessThan(40);
	});

	it('ends where the events say', () => {
		const state = replay(longLog(5_000));
		expect(state.tickets.size).toBe(5_000);
		expect(state.tickets.get('T-4999')).toMatchObject({status: 'done', attempts: 1});
		expect([...state.tickets.keys()].slice(0, 3)).toEqual(['T-0', 'T-1', 'T-2']);
	});
});
