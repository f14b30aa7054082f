import {describe, expect, it} from 'vitest';
import {profileRows, profileTableMarkdown} from '../../../source/core/engine-report.js';
import type {EngineEvent, NewEvent} from '../../../source/core/events.js';
import {emptyRunState, reduce} from '../../../source/core/run-state.js';

// One second between events, so each attempt's time is its event span.
const logOf = (raw: NewEvent[]): EngineEvent[] => raw.map((event, i) => ({...event, seq: i + 1, at: new Date(1000 * i).toISOString()}) as EngineEvent);
const started = (ticket: string, attempt: number, agent: string, engine?: string): NewEvent => ({
	type: 'attempt.started',
	ticket,
	attempt,
	maxAttempts: 3,
	agent,
	worktree: '/w',
	...(engine ? {engine} : {}),
});
const exited = (ticket: string, attempt: number, costUsd: number): NewEvent => ({
	type: 'agent.exited',
	ticket,
	attempt,
	ok: true,
	reason: 'exit 0',
	durationMs: 1,
	usage: {inputTokens: 10, outputTokens: 1, costUsd},
});

describe('attempts per engine profile', () => {
	it('attributes each attempt, its time, its worker cost and its outcome to the profile that ran it', () => {
		const rows = profileRows(
			logOf([
				started('A', 1, 'codex', 'cheap'),
				exited('A', 1, 0),
				{type: 'attempt.failed', ticket: 'A', attempt: 1, stage: 'guard', reason: 'empty diff'},
				started('A', 2, 'claude', 'strong'),
				exited('A', 2, 0.5),
				{type: 'ticket.done', ticket: 'A', attempt: 2, mergeCommit: 'm', verifyDigest: 'd'},
				started('B', 1, 'codex', 'cheap'),
				{type: 'attempt.limited', ticket: 'B', attempt: 1, until: new Date(0).toISOString(), reason: 'limit'},
				// A crash: B's next start ends the unsettled one; C is still running when the log ends.
				started('B', 1, 'codex', 'cheap'),
				started('B', 1, 'codex', 'cheap'),
				started('C', 1, 'claude'),
				exited('C', 1, 0.25),
			]),
		);
		expect(rows).toEqual([
			{profile: 'cheap', agent: 'codex', attempts: 4, done: 0, failed: 1, notCharged: 1, open: 2, seconds: 6, costUsd: 0, costReported: false},
			{profile: 'strong', agent: 'claude', attempts: 1, done: 1, failed: 0, notCharged: 0, open: 0, seconds: 2, costUsd: 0.5, costReported: true},
			{profile: 'agent', agent: 'claude', attempts: 1, done: 0, failed: 0, notCharged: 0, open: 1, seconds: 1, costUsd: 0.25, costReported: true},
		]);
		expect(profileTableMarkdown(rows)).toEqual([
			'## Engine profiles',
			'',
			'| profile | agent | attempts | outcome | time | worker cost |',
			'| --- | --- | --- | --- | --- | --- |',
			'| cheap | codex | 4 | 0 done, 1 failed, 1 not charged, 2 open | 6.0s | n/a |',
			'| strong | claude | 1 | 1 done, 0 failed | 2.0s | $0.50 |',
			'| agent | claude | 1 | 0 done, 0 failed, 1 open | 1.0s | $0.25 |',
			'',
		]);
	});

	it('a run without profiles has no profile table', () => {
		const rows = profileRows(logOf([started('A', 1, 'claude'), {type: 'ticket.done', ticket: 'A', attempt: 1, mergeCommit: 'm', verifyDigest: 'd'}]));
		expect(rows).toMatchObject([{profile: 'agent', attempts: 1, done: 1}]);
		expect(profileTableMarkdown(rows)).toEqual([]);
	});

	it("a worker's pane names the profile that runs its attempt, with the agent type", () => {
		const [routed, plain] = logOf([started('A', 2, 'claude', 'strong'), started('B', 1, 'claude')]);
		const state = reduce(reduce(emptyRunState(), routed!), plain!);
		expect(state.workers.get('A')?.agent).toBe('strong (claude)');
		expect(state.workers.get('B')?.agent).toBe('claude');
	});
});
