import {describe, expect, it} from 'vitest';
import type {EngineContext} from '../../../source/core/context.js';
import type {EngineEvent, NewEvent} from '../../../source/core/events.js';
import type {OracleVerdict} from '../../../source/core/oracle.js';
import {stopReport} from '../../../source/core/stop-report.js';

const ctx = {run: {logFile: () => '/nonexistent'}} as unknown as EngineContext;
const stamped = (raw: NewEvent[]): EngineEvent[] => raw.map((e, i) => ({...e, seq: i + 1, at: new Date(1000 * i).toISOString()}) as EngineEvent);

describe('stop-report.md for a ticket that never started', () => {
	it('names the deps it waited on, and for a human-gated one the fix (a gated dep is never done by the loop)', () => {
		const events = stamped([
			{type: 'run.started', runId: 'r', batch: 'b', base: 'main', baseCommit: 'c', ticketIds: ['T-1', 'T-2', 'T-3'], oracleSha256: 'x', pid: 1, attempts: 3},
			{
				type: 'run.tickets',
				tickets: [
					{id: 'T-1', title: 'one', status: 'todo', deps: [], locks: [], priority: 2},
					{id: 'T-2', title: 'two', status: 'todo', deps: ['T-1'], locks: [], priority: 2},
					{id: 'T-3', title: 'three', status: 'todo', deps: [], locks: [], priority: 2},
				],
			},
			{type: 'intervention', kind: 'gate', by: 'me', ticket: 'T-1', reason: 'a person does it'},
		]);
		const verdict: OracleVerdict = {
			verdict: 'not_done',
			exit: 1,
			tickets: [
				{id: 'T-1', status: 'human_gated', passing: true, reason: 'human_gated'},
				{id: 'T-2', status: 'todo', passing: false, reason: 'todo'},
				{id: 'T-3', status: 'todo', passing: false, reason: 'todo'},
			],
		};
		const report = stopReport(ctx, verdict, events);
		expect(report).toContain(
			'### T-2 (todo)\n- never started: it waits on T-1 (human_gated); a ticket starts only once its deps are done\n  fix: a human-gated dep is never done by the loop: `proofloop ungate T-1` lets the loop do it, or gate T-2 too',
		);
		// A ticket with no deps left waiting says nothing it does not know.
		expect(report).toMatch(/### T-3 \(todo\)\n*$/);
	});
});
