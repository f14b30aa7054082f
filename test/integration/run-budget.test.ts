import {readFileSync} from 'node:fs';
import path from 'node:path';
import {describe, expect, it} from 'vitest';
import {engineTime, RunBudgets} from '../../source/core/run-budget.js';
import type {NewEvent} from '../../source/core/events.js';
import {listRuns} from '../../source/core/run-dir.js';
import {stamp} from '../unit/ui/helpers.js';
import {makeRepo, runCli, runEvents} from '../helpers/repo.js';

describe('maxRunMinutes', () => {
	it('no new attempt starts once it is spent, the running one finishes, the run ends saying why, and a resume does not start the clock over', async () => {
		// One agent at a time, each attempt ~7 s: the 4.8 s budget is spent during A's attempt.
		const {root, plan} = makeRepo({
			tickets: [{id: 'A'}, {id: 'B'}, {id: 'C'}],
			config: {concurrency: 1, maxRunMinutes: 0.08, selfHeal: {max: 0}},
			plan: {_sleepMs: 7000},
		});
		const first = await runCli(root, ['run', '--headless'], {FAKE_AGENT_PLAN: plan});
		expect(first.exitCode, first.stdout + first.stderr).toBe(1);
		expect(first.stdout).toMatch(/warning: the time budget of 0\.08 min \(maxRunMinutes\) is spent .*no new attempts start; running ones finish/);
		const events = runEvents(root);
		expect(events.filter(e => e.type === 'attempt.started').map(e => (e.type === 'attempt.started' ? e.ticket : ''))).toEqual(['A']);
		expect(events.some(e => e.type === 'ticket.done' && e.ticket === 'A')).toBe(true);
		expect(events.filter(e => e.type === 'warning' && e.budget === 'time')).toHaveLength(1);
		expect(events.at(-1)).toMatchObject({type: 'run.stopped', reason: 'stuck'});
		expect(readFileSync(path.join(listRuns(root)[0]!.dir, 'stop-report.md'), 'utf8')).toMatch(/### A budget is spent \(time\)\nthe time budget of 0\.08 min/);

		// Resumed: the engine time of the first start counts, so nothing starts.
		const again = await runCli(root, ['run', '--headless'], {FAKE_AGENT_PLAN: plan});
		expect(again.exitCode, again.stdout + again.stderr).toBe(1);
		expect(runEvents(root).filter(e => e.type === 'attempt.started')).toHaveLength(1);
	}, 120_000);

	it('counts engine time over starts and resumes, and a dead engine up to its last event', () => {
		const at = (s: number) => new Date(Date.UTC(2026, 0, 1) + s * 1000).toISOString();
		const base = stamp([
			{type: 'run.started', runId: 'r', batch: 'b', base: 'main', baseCommit: 'abc', ticketIds: [], oracleSha256: 'f'.repeat(64), pid: 1},
			{type: 'warning', message: 'x'},
			{type: 'run.resumed', pid: 2},
			{type: 'run.stopped', reason: 'stuck'},
			{type: 'run.resumed', pid: 3},
		]);
		const events = base.map((e, i) => ({...e, at: at([0, 10, 100, 130, 500][i]!)}));
		// 0..10 (died after its last event), 100..130 (stopped); the last start is open.
		expect(engineTime(events)).toEqual({earlierMs: 40_000, sessionStart: Date.parse(at(500))});
	});

	it('the cost budget and the time budget each stop dispatch once, with a warning naming the budget', () => {
		const logged: NewEvent[] = [];
		let now = 1_000_000;
		const cost = new RunBudgets(
			{costBudgetUsd: 1},
			e => logged.push(e),
			[],
			() => now,
		);
		expect(cost.spent(0.5)).toBeUndefined();
		expect(cost.spent(1.2)).toMatch(/the cost budget of \$1 is spent \(\$1\.20\)/);
		expect(cost.spent(1.3)).toMatch(/\$1\.20/);
		expect(cost.exhausted).toBe(true);
		const time = new RunBudgets(
			{maxRunMinutes: 1},
			e => logged.push(e),
			[],
			() => now,
		);
		now += 59_000;
		expect(time.spent(0)).toBeUndefined();
		now += 1_000;
		expect(time.spent(0)).toMatch(/the time budget of 1 min \(maxRunMinutes\) is spent/);
		expect(logged.map(e => (e.type === 'warning' ? e.budget : ''))).toEqual(['cost', 'time']);
	});
});
