import {performance} from 'node:perf_hooks';
import {describe, expect, it} from 'vitest';
import type {EngineEvent, NewEvent} from '../../../source/core/events.js';
import {attemptsUsed, buildLedger, openAttempts} from '../../../source/core/ledger.js';

const usage = {inputTokens: 10, outputTokens: 1, costUsd: 0.01};

/** A long run's log: five events per ticket (start, spend, fail, start again, done), so tickets grow with the log. */
function longLog(events: number): EngineEvent[] {
	const raw: NewEvent[] = [];
	for (let i = 0; raw.length < events; i++) {
		const ticket = `T-${i}`;
		raw.push(
			{type: 'attempt.started', ticket, attempt: 1, maxAttempts: 3, agent: 'demo', worktree: '/w'},
			{type: 'agent.exited', ticket, attempt: 1, ok: false, reason: 'exit 1', durationMs: 1, usage},
			{type: 'attempt.failed', ticket, attempt: 1, stage: 'checks', reason: 'exit 1'},
			{type: 'attempt.started', ticket, attempt: 2, maxAttempts: 3, agent: 'demo', worktree: '/w'},
			{type: 'ticket.done', ticket, attempt: 2, mergeCommit: 'm', verifyDigest: 'd'},
		);
	}
	return raw.slice(0, events).map((e, i) => ({...e, seq: i + 1, at: 't'}) as EngineEvent);
}

/** The fastest of several folds of each log, taken in turns: the least disturbed by whatever else the machine runs, and both sides see the same load. */
function foldRatio(small: EngineEvent[], large: EngineEvent[]): number {
	const best = {small: Infinity, large: Infinity};
	const time = (log: EngineEvent[]) => {
		const start = performance.now();
		buildLedger(log);
		return performance.now() - start;
	};
	for (let run = 0; run < 6; run++) {
		best.small = Math.min(best.small, time(small));
		best.large = Math.min(best.large, time(large));
	}
	return best.large / best.small;
}

describe('the ledger fold', () => {
	it('is linear in the log: 10× the events (and tickets) cost about 10× the time, not 100×', () => {
		const small = longLog(5_000);
		const large = longLog(50_000);
		buildLedger(small); // warm up the JIT
		const ratio = foldRatio(small, large);
		// A copy of the ticket map per event (the quadratic fold) is ~100× here; a loaded machine and the
		// trie's log factor put the linear fold at 10-16×, so the line sits far from both.
		expect(ratio).toBeLessThan(40);
	});

	it('counts the same on a long log as on a short one', () => {
		const ledger = buildLedger(longLog(50_000));
		expect(ledger.tickets.size).toBe(10_000);
		expect(attemptsUsed(ledger, 'T-0')).toBe(2);
		expect(attemptsUsed(ledger, 'T-9999')).toBe(2);
		expect(openAttempts(ledger)).toEqual([]);
		expect(ledger.usage.costUsd).toBeCloseTo(100, 6);
		expect([...ledger.spend.values()]).toMatchObject([{agent: 'demo', role: 'worker', runs: 10_000}]);
	});
});
