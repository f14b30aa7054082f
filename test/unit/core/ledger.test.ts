import {describe, expect, it} from 'vitest';
import type {EngineContext} from '../../../source/core/context.js';
import {Engine} from '../../../source/core/engine.js';
import type {EngineEvent, NewEvent} from '../../../source/core/events.js';
import {attemptBudget, attemptsUsed, buildLedger, currentAttempt} from '../../../source/core/ledger.js';
import {buildReport} from '../../../source/core/report.js';
import type {Manifest} from '../../../source/core/run-dir.js';
import {emptyRunState, reduce} from '../../../source/core/run-state.js';
import type {Ticket} from '../../../source/tracker/ticket.js';

/** A log as engine kills leave it: attempts cut (interrupted on resume), parked, limited, failed, done. */
function killedLog(): EngineEvent[] {
	const raw: NewEvent[] = [
		{type: 'run.started', runId: 'r', batch: 'b', base: 'main', baseCommit: 'c', ticketIds: ['T-1', 'T-2'], oracleSha256: 'x', pid: 1, attempts: 3},
		{type: 'run.tickets', tickets: ['T-1', 'T-2'].map(id => ({id, title: id, status: 'todo', deps: [], locks: [], priority: 2}))},
		{type: 'attempt.started', ticket: 'T-1', attempt: 1, maxAttempts: 3, agent: 'demo', worktree: '/w'},
		{type: 'attempt.started', ticket: 'T-2', attempt: 1, maxAttempts: 3, agent: 'demo', worktree: '/w'},
		// engine killed; resumed: both open attempts interrupted, not charged
		{type: 'run.resumed', pid: 2, attempts: 3},
		{type: 'attempt.interrupted', ticket: 'T-1', attempt: 1, reason: 'killed'},
		{type: 'attempt.interrupted', ticket: 'T-2', attempt: 1, reason: 'killed'},
		{type: 'attempt.started', ticket: 'T-1', attempt: 1, maxAttempts: 3, agent: 'demo', worktree: '/w'},
		{type: 'attempt.failed', ticket: 'T-1', attempt: 1, stage: 'checks', reason: 'exit 1'},
		{type: 'attempt.started', ticket: 'T-2', attempt: 1, maxAttempts: 3, agent: 'demo', worktree: '/w'},
		{type: 'attempt.limited', ticket: 'T-2', attempt: 1, until: new Date(0).toISOString(), reason: 'rate limit'},
		{type: 'attempt.started', ticket: 'T-1', attempt: 2, maxAttempts: 3, agent: 'demo', worktree: '/w'},
		{type: 'run.resumed', pid: 3, attempts: 3},
		{type: 'attempt.interrupted', ticket: 'T-1', attempt: 2, reason: 'killed'},
		{type: 'attempt.started', ticket: 'T-1', attempt: 2, maxAttempts: 3, agent: 'demo', worktree: '/w'},
		{type: 'attempt.failed', ticket: 'T-1', attempt: 2, stage: 'verify', reason: 'exit 1'},
		{type: 'attempt.started', ticket: 'T-2', attempt: 1, maxAttempts: 3, agent: 'demo', worktree: '/w'},
		{type: 'ticket.done', ticket: 'T-2', attempt: 1, mergeCommit: 'm', verifyDigest: 'd'},
		// T-1 runs its third attempt: open, not charged yet
		{type: 'attempt.started', ticket: 'T-1', attempt: 3, maxAttempts: 3, agent: 'demo', worktree: '/w'},
	];
	return raw.map((event, i) => ({...event, seq: i + 1, at: new Date(1000 * i).toISOString()}) as EngineEvent);
}

const manifest: Manifest = {
	run_id: 'r',
	batch: 'b',
	base_branch: 'main',
	base_commit: 'c',
	ticket_ids: ['T-1', 'T-2'],
	oracle_sha256: 'x',
	config_sha256: 'y',
	created_at: new Date(0).toISOString(),
	proofloop_version: '0',
};

const ticket = (id: string, status: Ticket['status']): Ticket => ({id, title: id, status, batch: 'b', deps: [], locks: [], priority: 2, text: '', file: `${id}.md`}) as unknown as Ticket;

/** An engine over this history: only what its constructor reads (config, manifest, the log). */
function engineOver(history: EngineEvent[]): Engine {
	const ctx = {
		config: {attempts: 3, selfHeal: {repeatLimit: 3}},
		manifest: {oracle_sha256: 'x'},
		log: {subscribe: () => () => undefined, append: () => undefined},
	} as unknown as EngineContext;
	const engine = new Engine(ctx, history);
	// It never runs: close the oracle watch its constructor opened.
	(engine as unknown as {oracleTamper: {close(): void}}).oracleTamper.close();
	return engine;
}

describe('the attempt ledger', () => {
	it('the engine, the report and the run state count the same attempts, interrupted ones not charged', () => {
		const events = killedLog();
		const ledger = buildLedger(events);
		expect(attemptsUsed(ledger, 'T-1')).toBe(2);
		expect(attemptsUsed(ledger, 'T-2')).toBe(1);
		expect(currentAttempt(ledger, 'T-1')).toBe(3);

		const engine = engineOver(events);
		const report = buildReport(manifest, events, [ticket('T-1', 'in_progress'), ticket('T-2', 'done')]);
		const state = events.reduce(reduce, emptyRunState());
		for (const id of ['T-1', 'T-2']) {
			const used = attemptsUsed(ledger, id);
			expect(engine.attemptsView(id).used, `engine ${id}`).toBe(used);
			expect(report.tickets.find(t => t.id === id)?.attempts, `report ${id}`).toBe(used);
			expect(state.tickets.get(id)?.attempts, `run state ${id}`).toBe(used);
		}
		// The running attempt's number is the same on the engine and the TUI, and within the budget.
		expect(engine.attemptsView('T-1').current).toBe(3);
		expect(state.workers.get('T-1')?.attempt).toBe(3);
		expect(engine.attemptsView('T-1').budget).toBe(3);
	});

	it('a retry gives a fresh budget on top of what was used; a heal grant survives a resume', () => {
		const events = killedLog().slice(0, -1);
		const more: NewEvent[] = [
			{type: 'attempt.started', ticket: 'T-1', attempt: 3, maxAttempts: 3, agent: 'demo', worktree: '/w'},
			{type: 'attempt.failed', ticket: 'T-1', attempt: 3, stage: 'checks', reason: 'exit 1'},
			{type: 'intervention', kind: 'retry', by: 'me', ticket: 'T-1', reason: 'fixed the fixture'},
			{type: 'attempt.budget', ticket: 'T-2', budget: 2, reason: 'heal'},
		];
		const all = [...events, ...more.map((e, i) => ({...e, seq: 100 + i, at: new Date(0).toISOString()}) as EngineEvent)];
		const ledger = buildLedger(all);
		expect(attemptBudget(ledger, 'T-1')).toBe(6);
		expect(currentAttempt(ledger, 'T-1')).toBe(4);
		expect(attemptBudget(ledger, 'T-2')).toBe(2);
		expect(engineOver(all).attemptsView('T-1')).toEqual({used: 3, current: 4, budget: 6});
		expect(all.reduce(reduce, emptyRunState()).tickets.get('T-1')?.budget).toBe(6);
	});
});
