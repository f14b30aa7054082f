import {describe, expect, it} from 'vitest';
import {costByAgent, formatCost} from '../../../source/core/agent-cost.js';
import {attemptTimesStep, emptyAttemptTimes, etaMs, median, remainingCriticalPath} from '../../../source/core/eta.js';
import {headerSegments} from '../../../source/ui/Header.js';
import {fixtureEvents, fold, stamp, ticket} from '../ui/helpers.js';

const t = (id: string, status: string, deps: string[] = []) => ({id, status, deps});

describe('the ETA', () => {
	it('the remaining critical path counts unfinished tickets along the longest dependency chain', () => {
		expect(remainingCriticalPath([t('A', 'todo'), t('B', 'todo', ['A']), t('C', 'todo', ['B']), t('D', 'todo')])).toBe(3);
		// Done (and gated, failed, blocked) tickets are off the path; a cycle does not loop.
		expect(remainingCriticalPath([t('A', 'done'), t('B', 'in_progress', ['A']), t('C', 'todo', ['B'])])).toBe(2);
		expect(remainingCriticalPath([t('A', 'todo', ['B']), t('B', 'todo', ['A'])])).toBe(2);
		expect(remainingCriticalPath([t('A', 'done'), t('B', 'human_gated')])).toBe(0);
	});

	it('is the longer of the critical path and the remaining tickets over the agents at once, times the median attempt; none before an attempt ends', () => {
		expect(median([])).toBeUndefined();
		expect(median([5, 1, 3])).toBe(3);
		expect(median([4, 1, 3, 2])).toBe(2.5);
		const chain = [t('A', 'todo'), t('B', 'todo', ['A']), t('C', 'todo'), t('D', 'todo')];
		expect(etaMs(chain, [], 2)).toBeUndefined();
		expect(etaMs(chain, [10_000, 20_000, 30_000], 2)).toBe(2 * 20_000);
		expect(etaMs(chain, [10_000], 1)).toBe(4 * 10_000);
	});

	it('measures attempts from start to done or failed; interrupted ones are not a measure', () => {
		const events = stamp([
			{type: 'attempt.started', ticket: 'A', attempt: 1, maxAttempts: 3, agent: 'demo', worktree: '/w'},
			{type: 'attempt.failed', ticket: 'A', attempt: 1, stage: 'checks', reason: 'x'},
			{type: 'attempt.started', ticket: 'B', attempt: 1, maxAttempts: 3, agent: 'demo', worktree: '/w'},
			{type: 'attempt.interrupted', ticket: 'B', attempt: 1, reason: 'stopped'},
		]);
		expect(events.reduce(attemptTimesStep, emptyAttemptTimes).durations).toEqual([1000]);
	});
});

describe('cost per agent', () => {
	it('is n/a for an agent that reports tokens but no cost, beside the dollars of one that does', () => {
		const exited = (ticketId: string, costUsd: number) =>
			({
				type: 'agent.exited',
				ticket: ticketId,
				attempt: 1,
				ok: true,
				reason: 'ok',
				durationMs: 1,
				usage: {inputTokens: 10, outputTokens: 5, costUsd},
			}) as const;
		const events = stamp([
			{type: 'attempt.started', ticket: 'A', attempt: 1, maxAttempts: 3, agent: 'codex', worktree: '/w'},
			exited('A', 0),
			{type: 'attempt.started', ticket: 'B', attempt: 1, maxAttempts: 3, agent: 'claude', worktree: '/w'},
			exited('B', 0.5),
		]);
		expect(formatCost(costByAgent(events.slice(0, 2)))).toBe('cost n/a (codex)');
		expect(formatCost(costByAgent(events))).toBe('$0.50 + n/a (codex)');
		expect(formatCost(costByAgent(events.slice(2)))).toBe('$0.50');
		expect(formatCost([])).toBe('$0.00');
	});

	it('the header shows the ETA once an attempt has ended, and cost n/a where the agent reports none', () => {
		const events = fixtureEvents();
		const more = stamp(
			[
				{type: 'run.tickets', tickets: [ticket('T-1', 'Export job metrics', {status: 'in_progress'})]},
				{type: 'agent.exited', ticket: 'T-1', attempt: 1, ok: true, reason: 'ok', durationMs: 1, usage: {inputTokens: 2000, outputTokens: 0, costUsd: 0}},
			],
			events.length + 1,
		);
		const state = fold([...events, ...more]);
		const text = headerSegments(state, Date.parse(events.at(-1)!.at)).map(s => s.text);
		// T-9's three failed attempts took 2 s each (the fixture's clock): 5 unfinished tickets over the 2 agents running = 3 rounds.
		expect(text).toContain('ETA ~00:06');
		expect(text.find(s => s.includes('tok'))).toBe('cost n/a (demo) · 2k tok');
	});

	it('an agent that reports neither tokens nor cost (a command) still shows cost n/a once it has run', () => {
		const events = fixtureEvents();
		const exited = stamp(
			[{type: 'agent.exited', ticket: 'T-1', attempt: 1, ok: true, reason: 'ok', durationMs: 1, usage: {inputTokens: 0, outputTokens: 0, costUsd: 0}}],
			events.length + 1,
		);
		const text = headerSegments(fold([...events, ...exited]), Date.parse(events.at(-1)!.at)).map(s => s.text);
		expect(text.filter(s => s.includes('n/a'))).toEqual(['cost n/a (demo)']);
	});
});
