import {render} from 'ink-testing-library';
import {afterEach, describe, expect, it} from 'vitest';
import {cleanup} from 'ink-testing-library';
import {App} from '../../../source/ui/App.js';
import {fixtureEvents, fold, RecordingControl, resize, settle, stamp, strip, T0} from './helpers.js';

const noop = (): void => {};
const logFileOf = (ticket: string, attempt: number): string => `/nonexistent/${ticket}/${attempt}.log`;
const now = (): number => T0 + 95_000;

afterEach(() => cleanup());

describe('App: what the human must see about trust', () => {
	it('an unsandboxed run says UNSANDBOXED in the header, even when the line is narrow', async () => {
		const events = fixtureEvents().map(e => (e.type === 'run.started' ? {...e, sandbox: 'none' as const} : e));
		const {lastFrame, stdout} = render(
			<App state={fold(events)} control={new RecordingControl()} logFileOf={logFileOf} maxAttempts={3} onDetach={noop} now={now} noColor />,
		);
		resize(stdout, 70, 30);
		await settle();
		expect(strip(lastFrame()).split('\n')[0]).toMatch(/UNSANDBOXED/);
		const boxed = render(
			<App
				state={fold(fixtureEvents().map(e => (e.type === 'run.started' ? {...e, sandbox: 'bwrap' as const} : e)))}
				control={new RecordingControl()}
				logFileOf={logFileOf}
				maxAttempts={3}
				onDetach={noop}
				now={now}
				noColor
			/>,
		);
		resize(boxed.stdout, 70, 30);
		await settle();
		expect(strip(boxed.lastFrame())).not.toMatch(/UNSANDBOXED/);
	});

	it('a refused tamper attempt shows in the footer with the ticket, attempt and verb', async () => {
		const events = [
			...fixtureEvents(),
			...stamp([{type: 'tamper.refused', channel: 'worker', verb: 'gate', detail: "a human verb on T-1's worker channel", ticket: 'T-1', attempt: 1}], 900),
			...stamp([{type: 'tamper.refused', channel: 'worker', verb: 'stop', detail: "a human verb on T-1's worker channel", ticket: 'T-1', attempt: 1}], 901),
		];
		const {lastFrame, stdout} = render(
			<App state={fold(events)} control={new RecordingControl()} logFileOf={logFileOf} maxAttempts={3} onDetach={noop} now={now} noColor />,
		);
		resize(stdout, 200, 40);
		await settle();
		const lines = strip(lastFrame()).split('\n');
		expect(lines.at(-2)).toMatch(/2 tamper attempts refused; latest: TAMPER refused: T-1 attempt 1 sent `stop` on the worker channel/);
	});
});
