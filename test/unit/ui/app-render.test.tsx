import {render} from 'ink-testing-library';
import {afterEach, describe, expect, it} from 'vitest';
import {cleanup} from 'ink-testing-library';
import {App} from '../../../source/ui/App.js';
import {fixtureEvents, fixtureState, fold, pauseEvent, RecordingControl, resize, settle, stamp, strip, T0, groupsOnScreen} from './helpers.js';

const noop = (): void => {};
const logFileOf = (ticket: string, attempt: number): string => `/nonexistent/${ticket}/${attempt}.log`;
const now = (): number => T0 + 95_000;

afterEach(() => cleanup());

describe('App: what is on screen', () => {
	it('puts running, ready, waiting, blocked, done, gated and failed tickets each in its own group', async () => {
		const {lastFrame, stdout} = render(
			<App state={fixtureState()} control={new RecordingControl()} logFileOf={logFileOf} maxAttempts={3} onDetach={noop} now={now} noColor />,
		);
		resize(stdout, 120, 40);
		await settle();
		// 120 columns: the list column is round(120 * 0.36) = 43 wide.
		expect(groupsOnScreen(lastFrame()!, 43)).toEqual({
			'T-1': 'RUNNING',
			'T-2': 'RUNNING',
			'T-3': 'READY',
			'T-4': 'WAITING',
			'T-5': 'WAITING',
			'T-6': 'BLOCKED',
			'T-7': 'DONE',
			'T-8': 'HUMAN-GATED',
			'T-9': 'FAILED',
		});
	});

	it("a worker's pane says when it waits for a slot of its agent type, and when it has gone silent", async () => {
		const events = [
			...fixtureEvents(),
			...stamp(
				[
					{type: 'agent.waiting', ticket: 'T-1', attempt: 1, agent: 'claude', role: 'worker', cap: 2},
					{type: 'agent.stalled', ticket: 'T-2', attempt: 2, silentSeconds: 600},
				],
				500,
			),
		];
		const {lastFrame, stdout} = render(
			<App state={fold(events)} control={new RecordingControl()} logFileOf={logFileOf} maxAttempts={3} onDetach={noop} now={now} noColor />,
		);
		resize(stdout, 160, 40);
		await settle();
		const frame = strip(lastFrame());
		expect(frame).toMatch(/implement · queued for claude \(cap 2\)/);
		expect(frame).toMatch(/checks · STALLED \(silent\)/);
		// Once its agent is spawned, the wait is over.
		const spawned = fold([...events, ...stamp([{type: 'agent.spawned', ticket: 'T-1', attempt: 1, pid: 99}], 600)]);
		expect(spawned.workers.get('T-1')?.waitingForSlot).toBeUndefined();
	});

	it('says what each waiting ticket waits on: an unfinished dep, a lock another attempt holds', async () => {
		const {lastFrame, stdout} = render(
			<App state={fixtureState()} control={new RecordingControl()} logFileOf={logFileOf} maxAttempts={3} onDetach={noop} now={now} noColor />,
		);
		resize(stdout, 120, 40);
		await settle();
		const lines = strip(lastFrame()).split('\n');
		expect(lines.find(l => /^ {2}T-4 /.test(l))).toMatch(/waits on T-3 \(todo\)/);
		expect(lines.find(l => /^ {2}T-5 /.test(l))).toMatch(/waits on lock infra/);
	});

	it('shows the header (batch, run time, RUNNING, done/total, interventions) and the oracle bar with who holds it back', async () => {
		const {lastFrame, stdout} = render(
			<App state={fixtureState()} control={new RecordingControl()} logFileOf={logFileOf} maxAttempts={3} onDetach={noop} now={now} noColor />,
		);
		resize(stdout, 160, 40);
		await settle();
		const [header, oracle, holding] = strip(lastFrame()).split('\n');
		expect(header).toMatch(/batch observability/);
		expect(header).toMatch(/01:34/); // now (T0 + 95 s) - run.started (T0 + 1 s)
		expect(header).toMatch(/RUNNING/);
		expect(header).toMatch(/done 1\/9 \+1 gated/);
		expect(header).toMatch(/0 interventions/);
		expect(oracle).toMatch(/exit 1 \(not done\)/);
		expect(oracle).toMatch(/2\/9 tickets done or human-gated/);
		expect(holding).toMatch(/held back by 2: T-1 in_progress.*T-3 todo/);
	});

	it('when paused, the header says so and how many attempts still run', async () => {
		const events = fixtureEvents();
		const paused = fold([pauseEvent(events.length + 1)], fold(events));
		const {lastFrame} = render(<App state={paused} control={new RecordingControl()} logFileOf={logFileOf} maxAttempts={3} onDetach={noop} now={now} noColor />);
		await settle();
		const header = strip(lastFrame()).split('\n')[0];
		expect(header).toMatch(/PAUSED {2}2 attempts still running/);
		// A pause steers the run: it is a control, not an intervention.
		expect(header).toMatch(/0 interventions\b/);
	});

	it('shows FINISHED and the final verdict once the run stopped', async () => {
		const events = fixtureEvents();
		const stopped = fold(stamp([{type: 'run.stopped', reason: 'finished', oracleExit: 0}], events.length + 1), fold(events));
		const {lastFrame} = render(
			<App state={stopped} control={new RecordingControl()} logFileOf={logFileOf} maxAttempts={3} onDetach={noop} now={now} noColor />,
		);
		await settle();
		const frame = strip(lastFrame());
		expect(frame.split('\n')[0]).toMatch(/FINISHED/);
		expect(frame).toMatch(/the run stopped \(finished\): oracle exit 0/);
	});
});
