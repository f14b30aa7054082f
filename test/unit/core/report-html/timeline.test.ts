import {describe, expect, it} from 'vitest';
import type {EngineEvent} from '../../../../source/core/events.js';
import {buildTimeline} from '../../../../source/core/report-html/timeline.js';

const t0 = Date.parse('2026-01-01T00:00:00Z');
let seq = 0;
const ev = (second: number, e: Record<string, unknown>): EngineEvent => ({seq: ++seq, at: new Date(t0 + second * 1000).toISOString(), ...e}) as EngineEvent;
const brief = (rows: ReturnType<typeof buildTimeline>['rows'], id: string) =>
	rows.find(r => r.ticket === id)!.segments.map(s => `${s.stage}:${s.outcome}:${(s.start - t0) / 1000}-${(s.end - t0) / 1000}`);

describe('the timeline from the log', () => {
	it('queued until an attempt, stages ending ok, a failure where it happened, queued again, a stop that cuts an attempt, a resume, a live attempt', () => {
		const events = [
			ev(0, {type: 'run.started', runId: 'R', batch: 'b', base: 'main', baseCommit: 'c', ticketIds: ['A', 'B'], oracleSha256: 's', pid: 1}),
			ev(1, {type: 'attempt.started', ticket: 'A', attempt: 1, maxAttempts: 3, agent: 'x', worktree: '/w'}),
			ev(1, {type: 'stage', ticket: 'A', attempt: 1, stage: 'prepare'}),
			ev(2, {type: 'stage', ticket: 'A', attempt: 1, stage: 'implement'}),
			ev(5, {type: 'stage', ticket: 'A', attempt: 1, stage: 'checks'}),
			ev(6, {type: 'attempt.failed', ticket: 'A', attempt: 1, stage: 'checks', reason: 'red'}),
			ev(7, {type: 'attempt.started', ticket: 'A', attempt: 2, maxAttempts: 3, agent: 'x', worktree: '/w'}),
			ev(8, {type: 'stage', ticket: 'A', attempt: 2, stage: 'implement'}),
			ev(9, {type: 'run.stopped', reason: 'signal'}),
			ev(20, {type: 'run.resumed', pid: 2}),
			ev(21, {type: 'attempt.started', ticket: 'A', attempt: 2, maxAttempts: 3, agent: 'x', worktree: '/w'}),
			ev(22, {type: 'stage', ticket: 'A', attempt: 2, stage: 'implement'}),
			ev(30, {type: 'warning', message: 'still going'}),
		];
		const timeline = buildTimeline(events, ['A', 'B']);
		expect(brief(timeline.rows, 'A')).toEqual([
			'queued:queued:0-1',
			'prepare:ok:1-2',
			'implement:ok:2-5',
			'checks:failed:5-6',
			'queued:queued:6-7',
			'prepare:ok:7-8',
			'implement:interrupted:8-9',
			'queued:queued:20-21',
			'prepare:ok:21-22',
			'implement:running:22-30',
		]);
		// B never started: queued while the run ran, not while it was stopped.
		expect(brief(timeline.rows, 'B')).toEqual(['queued:queued:0-9', 'queued:queued:20-30']);
	});

	it('an engine killed mid-attempt (no run.stopped): the attempt ends at its last event, and the ticket queues again from the resume', () => {
		const events = [
			ev(0, {type: 'run.started', runId: 'R', batch: 'b', base: 'main', baseCommit: 'c', ticketIds: ['A'], oracleSha256: 's', pid: 1}),
			ev(1, {type: 'attempt.started', ticket: 'A', attempt: 1, maxAttempts: 3, agent: 'x', worktree: '/w'}),
			ev(2, {type: 'stage', ticket: 'A', attempt: 1, stage: 'implement'}),
			ev(4, {type: 'agent.spawned', ticket: 'A', attempt: 1, pid: 9}),
			ev(60, {type: 'run.resumed', pid: 2}),
			ev(61, {type: 'attempt.started', ticket: 'A', attempt: 1, maxAttempts: 3, agent: 'x', worktree: '/w'}),
			ev(62, {type: 'ticket.done', ticket: 'A', attempt: 1, mergeCommit: 'm', verifyDigest: 'd'}),
		];
		expect(brief(buildTimeline(events, ['A']).rows, 'A')).toEqual([
			'queued:queued:0-1',
			'prepare:ok:1-2',
			'implement:interrupted:2-4',
			'queued:queued:60-61',
			'prepare:ok:61-62',
		]);
	});
});
