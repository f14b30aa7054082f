import {render, cleanup} from 'ink-testing-library';
import {afterEach, describe, expect, it} from 'vitest';
import {App} from '../../../source/ui/App.js';
import {fixtureEvents, fold, RecordingControl, resize, settle, stamp, strip, T0} from './helpers.js';

afterEach(() => cleanup());

describe('a queue worker in the TUI', () => {
	it("labels the pane of an attempt whose agent runs on a queue worker with the worker's host", async () => {
		const events = [...fixtureEvents(), ...stamp([{type: 'agent.remote', ticket: 'T-1', attempt: 1, host: 'w7'}], 500)];
		const {lastFrame, stdout} = render(
			<App
				state={fold(events)}
				control={new RecordingControl()}
				logFileOf={(ticket, attempt) => `/nonexistent/${ticket}/${attempt}.log`}
				maxAttempts={3}
				onDetach={() => {}}
				now={() => T0 + 95_000}
				noColor
			/>,
		);
		resize(stdout, 160, 40);
		await settle();
		const frame = strip(lastFrame());
		expect(frame).toMatch(/attempt 1\/\d+ · \S+ on w7/);
		// The other running ticket's agent is local: no host.
		expect(frame.match(/ on w7/g)).toHaveLength(1);
	});
});
