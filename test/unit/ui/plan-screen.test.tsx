import {cleanup, render} from 'ink-testing-library';
import {afterEach, describe, expect, it} from 'vitest';
import {PlanProgress} from '../../../source/plan/progress.js';
import {PlanScreen} from '../../../source/ui/plan/PlanScreen.js';
import {settle} from './helpers.js';

afterEach(() => cleanup());

describe('the plan screen', () => {
	it('draws a pane per running agent with its words, then the last one when none runs, with the plan lines below', async () => {
		const progress = new PlanProgress('plan-1', 'b', 0);
		const screen = render(<PlanScreen progress={progress} now={65_000} />);
		progress.say('research: 2 researcher(s) in parallel, read-only');
		progress.started('research-1', 'researcher', 5_000);
		progress.started('research-2', 'researcher', 35_000);
		progress.said('research-1', 'reading check.mjs\nits parts are branches');
		progress.said('research-2', 'grep found the alerts module');
		await settle();
		let frame = screen.lastFrame() ?? '';
		expect(frame).toMatch(/proofloop plan plan-1 · batch b · 01:05 · 2 agent\(s\) running/);
		expect(frame).toMatch(/research-1 · researcher · running 01:00/);
		expect(frame).toMatch(/research-2 · researcher · running 00:30/);
		expect(frame).toMatch(/its parts are branches/);
		expect(frame).toMatch(/grep found the alerts module/);
		expect(frame).toMatch(/research: 2 researcher\(s\) in parallel, read-only/);

		progress.ended('research-1', true, 'answered');
		progress.ended('research-2', false, 'the researcher answered no valid JSON');
		progress.say('  research-2 (alerts): the researcher answered no valid JSON; asked twice');
		await settle();
		frame = screen.lastFrame() ?? '';
		expect(frame).toMatch(/0 agent\(s\) running/);
		// None runs: the last one stays in view, with how it ended.
		expect(frame).toMatch(/research-2 · researcher · failed · the researcher answered no valid JSON/);
		expect(frame).not.toMatch(/research-1 · researcher/);
	});
});
