import {describe, expect, it} from 'vitest';
import {fixtureState, RecordingControl, settle, T0} from './helpers.js';

// chalk (inside Ink) decides its colour level when it is first imported, and in
// a test run stdout is a pipe (no colour). Force colour before Ink loads, so
// this file can see that the UI itself withholds colour when asked to.
process.env.FORCE_COLOR = '1';
const {render, cleanup} = await import('ink-testing-library');
const {App} = await import('../../../source/ui/App.js');
delete process.env.FORCE_COLOR;

// eslint-disable-next-line no-control-regex
const colourCode = /\u001B\[(?:3[0-79]|9[0-7]|4[0-79]|10[0-7])m/;

describe('NO_COLOR', () => {
	it('draws with colour by default and without any colour code when colour is off', async () => {
		const props = {
			state: fixtureState(),
			control: new RecordingControl(),
			logFileOf: () => '/nonexistent.log',
			maxAttempts: 3,
			onDetach: () => {},
			now: () => T0 + 60_000,
		};
		const coloured = render(<App {...props} noColor={false} />);
		await settle();
		expect(coloured.lastFrame()).toMatch(colourCode);
		cleanup();

		const plain = render(<App {...props} noColor />);
		await settle();
		expect(plain.lastFrame()).not.toMatch(colourCode);
		// Still readable: the selected pane is marked by its double border, the selected row by ›.
		expect(plain.lastFrame()).toMatch(/╔/);
		expect(plain.lastFrame()).toMatch(/› T-1/);
		cleanup();
	});

	it('reads NO_COLOR from the environment when not told', async () => {
		process.env.NO_COLOR = '1';
		try {
			const plain = render(
				<App state={fixtureState()} control={new RecordingControl()} logFileOf={() => '/nonexistent.log'} maxAttempts={3} onDetach={() => {}} />,
			);
			await settle();
			expect(plain.lastFrame()).not.toMatch(colourCode);
			cleanup();
		} finally {
			delete process.env.NO_COLOR;
		}
	});
});
