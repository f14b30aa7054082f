// Benches measure and assert no timings; this runs each --quick mode once to
// prove the bench still works end to end (builds its repo, gets its verdicts).
import {describe, expect, it} from 'vitest';

describe('benches, --quick', () => {
	it('oracle: a fast-import repo of done tickets is judged done through the CLI and the pinned stdin path', async () => {
		const {run} = await import('../../bench/oracle.mjs');
		const result = await run(['--quick']);
		expect(result.rows).toHaveLength(1);
		expect(result.rows[0]).toMatchObject({tickets: 100, verdicts: 'done'});
		expect(result.all_done).toBe(true);
	}, 120_000);

	it('makespan: the seeded DAG runs for real to the end and is simulated under every policy', async () => {
		const {run} = await import('../../bench/makespan.mjs');
		const result = await run(['--quick']);
		expect(result).toMatchObject({run_exit: 0, tickets: 6, tickets_done: 6});
		expect(result.real_vs_bound).toBeGreaterThan(1);
		expect(result.agent_slots_busy).toBeGreaterThan(0);
		expect(result.agent_slots_busy).toBeLessThanOrEqual(1);
		expect(result.harness_after_agent_s_p50).toBeGreaterThan(0);
		expect(Object.keys(result.simulated_vs_bound)).toEqual([
			'engine',
			'fifo',
			'cp-count',
			'cp-duration',
			'lock-aware',
			'locked-count-gated',
			'locked-work-gated',
			'depth-barriers',
		]);
		for (const ratio of Object.values(result.simulated_vs_bound)) expect(ratio).toBeGreaterThanOrEqual(1);
	}, 180_000);

	it('policies: every policy simulated over every DAG shape, the engine never below the bound', async () => {
		const {run} = await import('../../bench/policies.mjs');
		const result = await run(['--quick']);
		expect(result.dags).toBe(144);
		expect(result.policies.engine.mean).toBeGreaterThanOrEqual(1);
		expect(result.policies.engine.mean).toBe(result.policies['lock-aware'].mean);
	}, 120_000);

	it('overhead: instant tickets through the harness and through the plain git script, at concurrency 1 and 4', async () => {
		const {run} = await import('../../bench/overhead.mjs');
		const result = await run(['--quick']);
		expect(result.rows.map((row: {concurrency: number; run_exit: number; done: number}) => [row.concurrency, row.run_exit, row.done])).toEqual([
			[1, 0, 4],
			[4, 0, 4],
		]);
		for (const row of result.rows) expect(row.script_ms_per_ticket).toBeGreaterThan(0);
		// Where the harness's time went at concurrency 1, from the run's own log.
		expect(result.stages_c1.map((row: {segment: string}) => row.segment)).toContain('stage verify → verify.result');
	}, 180_000);
});
