// The makespan bench's account of a real run, over a hand-made log: slot use,
// the harness's time around each agent, and how long a start waited after a slot came free.
import {describe, expect, it} from 'vitest';
import {timeline} from '../../bench/lib/run-timeline.mjs';

const t0 = Date.parse('2026-01-01T00:00:00Z');
const e = (ms: number, type: string, ticket?: string) => ({at: new Date(t0 + ms).toISOString(), type, ...(ticket ? {ticket, attempt: 1} : {})});

describe('run timeline', () => {
	it('one slot: A then B; the agents ran 2 of the 10 s, 1 s of harness before each, 2 and 3.7 s after', () => {
		const log = [
			e(0, 'run.started'),
			e(100, 'attempt.started', 'A'),
			e(1100, 'agent.spawned', 'A'),
			e(2100, 'agent.exited', 'A'),
			e(4100, 'ticket.done', 'A'),
			e(4300, 'attempt.started', 'B'),
			e(5300, 'agent.spawned', 'B'),
			e(6300, 'agent.exited', 'B'),
			e(10000, 'ticket.done', 'B'),
		];
		expect(timeline(log, 1)).toEqual({
			agent_slots_busy: 0.2,
			harness_before_agent_s_p50: 1,
			harness_after_agent_s_p50: 3.7,
			start_after_freed_ms_p50: 200,
			start_after_freed_ms_p90: 200,
		});
	});
});
