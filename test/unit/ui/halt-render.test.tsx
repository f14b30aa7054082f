import {render} from 'ink-testing-library';
import {afterEach, describe, expect, it} from 'vitest';
import {cleanup} from 'ink-testing-library';
import {formatEvent} from '../../../source/core/progress.js';
import {App} from '../../../source/ui/App.js';
import {fixtureEvents, fold, RecordingControl, resize, settle, stamp, strip, T0} from './helpers.js';

const noop = (): void => {};
const logFileOf = (ticket: string, attempt: number): string => `/nonexistent/${ticket}/${attempt}.log`;
const now = (): number => T0 + 95_000;

afterEach(() => cleanup());

const broken = {
	type: 'tracker.broken',
	message: ".proofloop/tickets/T-2.md: ticket T-2 of this run's batch is gone\n  fix: put it back",
	graceSeconds: 120,
} as const;

const footer = async (events: ReturnType<typeof fixtureEvents>): Promise<string> => {
	const {lastFrame, stdout} = render(
		<App state={fold(events)} control={new RecordingControl()} logFileOf={logFileOf} maxAttempts={3} onDetach={noop} now={now} noColor />,
	);
	resize(stdout, 220, 40);
	await settle();
	return strip(lastFrame()).split('\n').at(-2) ?? '';
};

describe('what needs a person, at once', () => {
	it('a broken tracker shows in the footer with the file and the fix until it is fixed', async () => {
		const events = [...fixtureEvents(), ...stamp([broken, {type: 'warning', message: 'something later'}], 900)];
		expect(await footer(events)).toMatch(
			/\.proofloop\/tickets\/T-2\.md: ticket T-2 of this run's batch is gone \| fix: put it back \| \(the run stops in 120s unless it is fixed\)/,
		);
		cleanup();
		expect(await footer([...events, ...stamp([{type: 'tracker.fixed'}], 902)])).toMatch(/warning: something later/);
	});

	it('headless lines say the file, the fix and the commit on one line each', () => {
		const [event] = stamp([broken], 1);
		expect(formatEvent(event!, T0)).toMatch(
			/TRACKER BROKEN: \.proofloop\/tickets\/T-2\.md: ticket T-2 .* \| fix: put it back \(the run stops in 120s unless fixed\)/,
		);
		const [foreign] = stamp(
			[
				{
					type: 'base.foreign',
					base: 'main',
					expected: 'a'.repeat(40),
					tip: 'b'.repeat(40),
					commits: [{sha: 'b'.repeat(40), author: 'Pat <p@x>', subject: 'hotfix'}],
					message: 'm',
				},
			],
			2,
		);
		expect(formatEvent(foreign!, T0)).toMatch(/BASE MOVED outside the merge queue: b{12} Pat <p@x>: hotfix; dispatch stopped/);
	});
});
