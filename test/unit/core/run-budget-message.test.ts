import {describe, expect, it} from 'vitest';
import type {NewEvent} from '../../../source/core/events.js';
import {RunBudgets} from '../../../source/core/run-budget.js';

describe('the time budget warning', () => {
	it('says how long the run took to a tenth of a minute (a 0.5 min budget spent after 42 s is not "0 min run")', () => {
		const logged: NewEvent[] = [];
		let now = 1_000_000;
		const time = new RunBudgets(
			{maxRunMinutes: 0.5},
			e => logged.push(e),
			[],
			() => now,
		);
		now += 42_000;
		expect(time.spent(0)).toBe('the time budget of 0.5 min (maxRunMinutes) is spent (0.7 min run): no new attempts start; running ones finish');
		expect(logged).toHaveLength(1);
	});
});
