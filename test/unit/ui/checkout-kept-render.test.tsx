import {render} from 'ink-testing-library';
import {afterEach, describe, expect, it} from 'vitest';
import {cleanup} from 'ink-testing-library';
import {App} from '../../../source/ui/App.js';
import {fixtureEvents, fold, RecordingControl, resize, settle, stamp, strip, T0} from './helpers.js';

const noop = (): void => {};
const logFileOf = (ticket: string, attempt: number): string => `/nonexistent/${ticket}/${attempt}.log`;
const now = (): number => T0 + 95_000;

afterEach(() => cleanup());

describe("App: the person's checkout left behind", () => {
	it('shows in the footer, above a later warning, with the command that catches up', async () => {
		const events = [
			...fixtureEvents(),
			...stamp(
				[
					{
						type: 'checkout.kept',
						ticket: 'T-1',
						path: '/home/me/repo',
						branch: 'main',
						kept: 'a'.repeat(40),
						baseHead: 'b'.repeat(40),
						reason: "error: Entry 'src/a.js' not uptodate. Cannot merge.",
						fix: 'git -C "/home/me/repo" checkout main',
					},
					{type: 'warning', message: 'a later, lesser warning'},
				],
				900,
			),
		];
		const {lastFrame, stdout} = render(
			<App state={fold(events)} control={new RecordingControl()} logFileOf={logFileOf} maxAttempts={3} onDetach={noop} now={now} noColor />,
		);
		resize(stdout, 200, 40);
		await settle();
		expect(strip(lastFrame()).split('\n').at(-2)).toMatch(
			/YOUR CHECKOUT \/home\/me\/repo was left as you have it \(HEAD detached at aaaaaaa, main moved on\); catch up: git -C "\/home\/me\/repo" checkout main/,
		);
	});
});
