import {render} from 'ink-testing-library';
import {describe, expect, it} from 'vitest';
import {summaryLines} from '../../../source/ui/run-summary.js';
import {RunSummary} from '../../../source/ui/RunSummary.js';
import {fixtureEvents, fold, stamp} from './helpers.js';

describe('the end-of-run summary of a run that stopped with tickets left', () => {
	it('says which budget stopped dispatch, beside the tickets it held back', () => {
		const events = fixtureEvents();
		const ended = [
			...events,
			...stamp(
				[
					{
						type: 'warning',
						budget: 'time',
						message: 'the time budget of 0.5 min (maxRunMinutes) is spent (0.7 min run): no new attempts start; running ones finish',
					},
					{
						type: 'oracle.verdict',
						exit: 1,
						verdict: 'not_done',
						summary: '1/9 tickets done or human-gated',
						final: true,
						holding: [{id: 'T-3', status: 'todo', reason: 'todo'}],
					},
					{type: 'run.stopped', reason: 'stuck', oracleExit: 1},
				],
				events.length + 1,
			),
		];
		const {lastFrame, unmount} = render(<RunSummary lines={summaryLines(fold(ended), ended, '/nonexistent')} onClose={() => {}} noColor />);
		const frame = lastFrame() ?? '';
		expect(frame).toMatch(/held back by T-3 \(todo\): todo\n\s+the time budget of 0\.5 min \(maxRunMinutes\) is spent \(0\.7 min run\)/);
		unmount();
	});

	it('says what a ticket that never started waited on, where the oracle says only "todo"', () => {
		const events = fixtureEvents();
		const ended = [
			...events,
			...stamp(
				[
					{
						type: 'oracle.verdict',
						exit: 1,
						verdict: 'not_done',
						summary: '1/9 tickets done or human-gated',
						final: true,
						holding: [{id: 'T-4', status: 'todo', reason: 'todo'}],
					},
					{type: 'run.stopped', reason: 'stuck', oracleExit: 1},
				],
				events.length + 1,
			),
		];
		const {lastFrame, unmount} = render(<RunSummary lines={summaryLines(fold(ended), ended, '/nonexistent')} onClose={() => {}} noColor />);
		expect(lastFrame() ?? '').toMatch(/held back by T-4 \(todo\): waits on T-3 \(todo\)/);
		unmount();
	});
});
