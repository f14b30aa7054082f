import {describe, expect, it} from 'vitest';
import type {AttemptOutcome} from '../../../source/core/attempt.js';
import {Engine} from '../../../source/core/engine.js';
import {fakeRun} from '../../helpers/engine-fakes.js';
import type {EngineEvent, NewEvent} from '../../../source/core/events.js';
import {
	attemptBudget,
	attemptsUsed,
	buildLedger,
	currentAttempt,
	limitedUntil,
	openAttempts,
	previousReasons,
	reviewRounds,
} from '../../../source/core/ledger.js';
import {buildReport, renderReportMarkdown} from '../../../source/core/report.js';
import type {Manifest} from '../../../source/core/run-dir.js';
import {emptyRunState, groupTickets, reduce} from '../../../source/core/run-state.js';
import {ticketNote} from '../../../source/ui/TicketList.js';
import {agentCosts, formatCost} from '../../../source/core/agent-cost.js';
import {createRunStateStore} from '../../../source/ui/use-run-state.js';
import type {Ticket} from '../../../source/tracker/ticket.js';
import {fakeRun} from '../../helpers/engine-fakes.js';

const spent = (costUsd: number) => ({inputTokens: 1000, outputTokens: 100, costUsd});
/** A usage limit that holds T-3 back until far in the future. */
const LIMIT_LIFTS = new Date(Date.UTC(2999, 0, 1)).toISOString();

/** A log as engine kills leave it: attempts cut (interrupted on resume), parked, limited, failed, done; each spending. */
function killedLog(): EngineEvent[] {
	const raw: NewEvent[] = [
		{type: 'run.started', runId: 'r', batch: 'b', base: 'main', baseCommit: 'c', ticketIds: ['T-1', 'T-2'], oracleSha256: 'x', pid: 1, attempts: 3},
		{type: 'run.tickets', tickets: ['T-1', 'T-2', 'T-3'].map(id => ({id, title: id, status: 'todo', deps: [], locks: [], priority: 2}))},
		{type: 'attempt.started', ticket: 'T-1', attempt: 1, maxAttempts: 3, agent: 'demo', worktree: '/w'},
		{type: 'agent.exited', ticket: 'T-1', attempt: 1, ok: true, reason: 'exit 0', durationMs: 1, usage: spent(0.5)},
		{type: 'attempt.started', ticket: 'T-2', attempt: 1, maxAttempts: 3, agent: 'demo', worktree: '/w'},
		// T-3: parked (it filed a blocker), then limited: neither is charged, both spent.
		{type: 'attempt.started', ticket: 'T-3', attempt: 1, maxAttempts: 3, agent: 'demo', worktree: '/w'},
		{type: 'plan.result', ticket: 'T-3', attempt: 1, round: 1, verdict: 'approve', findings: [], plan: 'p', usage: spent(0.25)},
		{type: 'attempt.parked', ticket: 'T-3', attempt: 1, reason: 'filed a blocker'},
		{type: 'attempt.started', ticket: 'T-3', attempt: 1, maxAttempts: 3, agent: 'demo', worktree: '/w'},
		{type: 'agent.exited', ticket: 'T-3', attempt: 1, ok: false, reason: 'rate limit', durationMs: 1, usage: spent(0.125)},
		{type: 'attempt.limited', ticket: 'T-3', attempt: 1, until: LIMIT_LIFTS, reason: 'rate limit'},
		// engine killed; resumed: both open attempts interrupted, not charged
		{type: 'run.resumed', pid: 2, attempts: 3},
		{type: 'attempt.interrupted', ticket: 'T-1', attempt: 1, reason: 'killed'},
		{type: 'attempt.interrupted', ticket: 'T-2', attempt: 1, reason: 'killed'},
		{type: 'attempt.started', ticket: 'T-1', attempt: 1, maxAttempts: 3, agent: 'demo', worktree: '/w'},
		{type: 'agent.exited', ticket: 'T-1', attempt: 1, ok: true, reason: 'exit 0', durationMs: 1, usage: spent(1)},
		{type: 'review.result', ticket: 'T-1', attempt: 1, round: 1, verdict: 'changes', findings: ['no test'], usage: spent(0.0625)},
		{type: 'attempt.failed', ticket: 'T-1', attempt: 1, stage: 'checks', reason: 'exit 1'},
		{type: 'attempt.started', ticket: 'T-2', attempt: 1, maxAttempts: 3, agent: 'demo', worktree: '/w'},
		{type: 'attempt.limited', ticket: 'T-2', attempt: 1, until: new Date(0).toISOString(), reason: 'rate limit'},
		{type: 'attempt.started', ticket: 'T-1', attempt: 2, maxAttempts: 3, agent: 'demo', worktree: '/w'},
		{type: 'run.resumed', pid: 3, attempts: 3},
		{type: 'attempt.interrupted', ticket: 'T-1', attempt: 2, reason: 'killed'},
		{type: 'attempt.started', ticket: 'T-1', attempt: 2, maxAttempts: 3, agent: 'demo', worktree: '/w'},
		{type: 'attempt.failed', ticket: 'T-1', attempt: 2, stage: 'verify', reason: 'exit 1'},
		{type: 'attempt.started', ticket: 'T-2', attempt: 1, maxAttempts: 3, agent: 'demo', worktree: '/w'},
		{type: 'agent.exited', ticket: 'T-2', attempt: 1, ok: true, reason: 'exit 0', durationMs: 1, usage: spent(2)},
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
	ticket_ids: ['T-1', 'T-2', 'T-3'],
	oracle_sha256: 'x',
	config_sha256: 'y',
	created_at: new Date(0).toISOString(),
	proofloop_version: '0',
};

const ticket = (id: string, status: Ticket['status']): Ticket =>
	({id, title: id, status, batch: 'b', deps: [], locks: [], priority: 2, text: '', file: `${id}.md`}) as unknown as Ticket;

/** An engine over this history (only what its constructor reads: config, manifest, the log); `live` events reach it as the log appends them. */
function engineOver(history: EngineEvent[], live: EngineEvent[] = []): Engine {
	const {engine, log} = fakeRun({tickets: [], history, config: {attempts: 3}});
	// The live part reaches the engine as a running log delivers it.
	for (const {seq: _seq, at: _at, ...event} of live) log.append(event as NewEvent);
	return engine;
}

/** The TUI's store, fed the log the way a control client delivers it. */
function tuiOver(events: EngineEvent[]) {
	let deliver: (event: EngineEvent) => void = () => undefined;
	const store = createRunStateStore({subscribe: listener => (deliver = listener), onClose: () => undefined}, {intervalMs: 0});
	for (const event of events) deliver(event);
	store.flush();
	const {state} = store.getSnapshot();
	store.dispose();
	return state;
}

describe('the ledger', () => {
	it('the engine, the report and the TUI state count the same attempts and cost: interrupted, parked and limited attempts not charged, all spending counted', () => {
		const events = killedLog();
		const ledger = buildLedger(events);
		expect(attemptsUsed(ledger, 'T-1')).toBe(2);
		expect(attemptsUsed(ledger, 'T-2')).toBe(1);
		expect(attemptsUsed(ledger, 'T-3')).toBe(0);
		expect(currentAttempt(ledger, 'T-1')).toBe(3);
		expect(currentAttempt(ledger, 'T-3')).toBe(1);
		// Every run of an agent is paid for, charged or not: 0.5 + 1 + 0.0625 (T-1), 2 (T-2), 0.25 + 0.125 (T-3).
		expect(ledger.usage.costUsd).toBe(3.9375);

		// Half the log read at start, half appended live: the engine folds it to the same numbers.
		const engine = engineOver(events.slice(0, 12), events.slice(12));
		const report = buildReport(manifest, events, [ticket('T-1', 'in_progress'), ticket('T-2', 'done'), ticket('T-3', 'todo')]);
		const tui = tuiOver(events);
		const costs = {'T-1': 1.5625, 'T-2': 2, 'T-3': 0.375};
		for (const [id, cost] of Object.entries(costs)) {
			const used = attemptsUsed(ledger, id);
			expect(engine.ledger.view(id).used, `engine ${id}`).toBe(used);
			expect(report.tickets.find(t => t.id === id)?.attempts, `report ${id}`).toBe(used);
			expect(tui.tickets.get(id)?.attempts, `TUI ${id}`).toBe(used);
			expect(report.tickets.find(t => t.id === id)?.costUsd, `report cost ${id}`).toBe(cost);
		}
		expect(engine.ledger.spentUsd()).toBe(3.9375);
		expect(report.costUsd).toBe(3.9375);
		expect(tui.usage.costUsd).toBe(3.9375);
		// The header's cost per agent adds up to the same total, reviewers and planners included.
		expect(formatCost(agentCosts(tui.ledger))).toBe('$3.94');
		// The running attempt's number is the same on the engine and the TUI, and within the budget.
		expect(engine.ledger.view('T-1').current).toBe(3);
		expect(tui.workers.get('T-1')?.attempt).toBe(3);
		expect(engine.ledger.view('T-1').budget).toBe(3);
		// A usage limit that still holds is not "ready" on screen: the engine would not start it either.
		expect(groupTickets(tui, 3, Date.parse('2030-01-01T00:00:00Z')).find(t => t.id === 'T-3')?.group).toBe('waiting');
		expect(groupTickets(tui, 3, Date.parse('3000-01-01T00:00:00Z')).find(t => t.id === 'T-3')?.group).toBe('ready');
		const waiting = groupTickets(tui, 3).find(t => t.id === 'T-3');
		expect(waiting && ticketNote(waiting, tui, 3)).toBe('waits for a usage limit to lift (00:00 UTC)');
	});

	it("the real engine's own log (run over fakes): interrupted, parked and limited attempts are free, every run of an agent is paid, and the engine, the report and the TUI agree", async () => {
		const {engine, attempts, log, tracker, clock} = fakeRun({tickets: [{id: 'A'}, {id: 'B'}], config: {concurrency: 1, attempts: 2}});
		// What an attempt logs of its agent's spending before it settles.
		const spend = (ticket: string, attempt: number, costUsd: number) =>
			log.append({type: 'agent.exited', ticket, attempt, ok: true, reason: 'exit 0', durationMs: 1, usage: spent(costUsd)});
		const drained = engine.drain();
		const outcomes: Array<[string, number, AttemptOutcome]> = [
			['A', 0.5, {kind: 'interrupted', reason: 'stopped'}],
			['A', 1, {kind: 'parked', reason: 'filed a blocker'}],
			['A', 0.125, {kind: 'limited', until: clock.now - 1000, reason: 'rate limit'}],
			['A', 2, {kind: 'failed', stage: 'checks', reason: 'exit 1', merged: false}],
			['A', 0.25, {kind: 'done'}],
			['B', 0.0625, {kind: 'done'}],
		];
		for (const [i, [ticket, cost, outcome]] of outcomes.entries()) {
			await attempts.startedCount(i + 1);
			const {attempt} = attempts.started[i]!;
			spend(ticket, attempt, cost);
			await attempts.settle(ticket, outcome);
		}
		await drained;
		// The batch as clients draw it (run() publishes it at start; drain() alone does not).
		engine.publishTickets();
		// The free attempts all ran as attempt 1; the failure was charged, so the last try was attempt 2.
		expect(attempts.started.map(s => `${s.ticket}${s.attempt}`)).toEqual(['A1', 'A1', 'A1', 'A1', 'A2', 'B1']);
		const events = engine.events;
		const report = buildReport({...manifest, ticket_ids: ['A', 'B']}, events, [...tracker.tickets.values()]);
		const tui = tuiOver(events);
		for (const [id, used, cost] of [
			['A', 2, 3.875],
			['B', 1, 0.0625],
		] as const) {
			expect(engine.ledger.used(id), `engine ${id}`).toBe(used);
			expect(report.tickets.find(t => t.id === id)?.attempts, `report ${id}`).toBe(used);
			expect(tui.tickets.get(id)?.attempts, `TUI ${id}`).toBe(used);
			expect(report.tickets.find(t => t.id === id)?.costUsd, `report cost ${id}`).toBe(cost);
		}
		expect(engine.ledger.spentUsd()).toBe(3.9375);
		expect(report.costUsd).toBe(3.9375);
		expect(tui.usage.costUsd).toBe(3.9375);
	});

	it('open attempts, review rounds and what earlier attempts left are read from the same log', () => {
		const events = killedLog();
		const ledger = buildLedger(events);
		// Only T-1's third attempt is open: a resume either continues it or ends it as interrupted.
		expect(openAttempts(ledger)).toEqual([{ticket: 'T-1', attempt: 3}]);
		expect(reviewRounds(ledger, 'T-1')).toBe(1);
		expect(engineOver(events).ledger.reviewRounds('T-1')).toBe(1);
		expect(previousReasons(events, 'T-1')).toEqual(['Attempt 1 failed at checks: exit 1', 'Attempt 2 failed at verify: exit 1']);
		expect(previousReasons(events, 'T-3')).toEqual(['Attempt 1 was parked: filed a blocker. Its work is on your branch; continue from it.']);
		expect(limitedUntil(ledger, 'T-3', Date.parse('2030-01-01T00:00:00Z'))).toBe(Date.parse(LIMIT_LIFTS));
		expect(limitedUntil(ledger, 'T-2', Date.parse('2030-01-01T00:00:00Z'))).toBeUndefined();
	});

	it('interventions are what a person did to the work; pause, resume, stop and restart are controls, counted apart by the report and the TUI', () => {
		const acts: NewEvent[] = [
			{type: 'intervention', kind: 'pause', by: 'me'},
			{type: 'intervention', kind: 'gate', by: 'me', ticket: 'T-1', reason: 'needs a login'},
			{type: 'intervention', kind: 'resume', by: 'me'},
			{type: 'intervention', kind: 'ungate', by: 'me', ticket: 'T-1'},
			{type: 'intervention', kind: 'stop', by: 'me'},
			{type: 'intervention', kind: 'restart', by: 'me'},
			{type: 'intervention', kind: 'retry', by: 'me', ticket: 'T-1', reason: 'fixed the fixture'},
			{type: 'intervention', kind: 'reset', by: 'me', ticket: 'T-3', reason: 'start over'},
		];
		const events = [...killedLog(), ...acts.map((e, i) => ({...e, seq: 200 + i, at: new Date(0).toISOString()}) as EngineEvent)];
		const report = buildReport(manifest, events, [ticket('T-1', 'todo'), ticket('T-2', 'done'), ticket('T-3', 'todo')]);
		expect(report).toMatchObject({
			interventions: 4,
			interventionsByKind: {gate: 1, ungate: 1, retry: 1, reset: 1},
			controls: 4,
			controlsByKind: {pause: 1, resume: 1, stop: 1, restart: 1},
		});
		expect(report.interventionList.map(i => i.kind)).toEqual(['gate', 'ungate', 'retry', 'reset']);
		expect(report.controlList.map(i => i.kind)).toEqual(['pause', 'resume', 'stop', 'restart']);
		const markdown = renderReportMarkdown(report);
		expect(markdown).toMatch(/^- interventions \(a person's work on tickets\): 4 \(gate 1, ungate 1, retry 1, reset 1\)$/m);
		expect(markdown).toMatch(/^- controls \(pause, resume, stop, restart\): 4 \(pause 1, resume 1, stop 1, restart 1\)$/m);
		const tui = tuiOver(events);
		expect([tui.interventions, tui.controls]).toEqual([4, 4]);
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
		expect(engineOver(all).ledger.view('T-1')).toEqual({used: 3, current: 4, budget: 6});
		expect(all.reduce(reduce, emptyRunState()).tickets.get('T-1')?.budget).toBe(6);
	});
});
