import {cleanup, render} from 'ink-testing-library';
import {afterEach, describe, expect, it, vi} from 'vitest';
import {App} from '../../../source/ui/App.js';
import {fixtureEvents, fixtureState, fold, keys, pauseEvent, press, RecordingControl, resize, settle, strip, T0, type, watched} from './helpers.js';

const logFileOf = (ticket: string, attempt: number): string => `/nonexistent/${ticket}/${attempt}.log`;
const now = (): number => T0 + 95_000;

afterEach(() => cleanup());

function setup(state = fixtureState()) {
	const control = new RecordingControl();
	const onDetach = vi.fn();
	const onQuit = vi.fn();
	const app = render(<App state={state} control={control} logFileOf={logFileOf} maxAttempts={3} onDetach={onDetach} onQuit={onQuit} now={now} noColor />);
	resize(app.stdout, 120, 40);
	return {...app, control, onDetach, onQuit, frame: () => strip(app.lastFrame())};
}

describe('App keys', () => {
	it('p asks the engine to pause; p again, once the state says paused, asks it to resume', async () => {
		const {stdin, control, rerender, onDetach} = setup();
		await settle();
		await press(stdin, 'p');
		expect(control.calls).toEqual([{method: 'pause', args: []}]);

		const events = fixtureEvents();
		const paused = fold([pauseEvent(events.length + 1)], fold(events));
		rerender(<App state={paused} control={control} logFileOf={logFileOf} maxAttempts={3} onDetach={onDetach} now={now} noColor />);
		await settle();
		await press(stdin, 'p');
		expect(control.calls).toEqual([
			{method: 'pause', args: []},
			{method: 'resume', args: []},
		]);
	});

	it('g, a reason, enter, y gates the selected ticket with that reason', async () => {
		const {stdin, control, frame} = setup();
		await settle();
		// The list starts at T-1 (running first); two down is T-3, the ready one.
		await press(stdin, keys.down, keys.down, 'g');
		expect(frame()).toMatch(/gate T-3: reason>/);
		await type(stdin, 'needs a DBA');
		await press(stdin, keys.backspace, 'X');
		expect(frame()).toMatch(/gate T-3: reason> needs a DBX/);
		await press(stdin, keys.enter);
		expect(frame()).toMatch(/mark T-3 human-gated \("needs a DBX"\)\? y\/n/);
		expect(control.calls).toEqual([]);
		await press(stdin, 'y');
		expect(control.calls).toEqual([{method: 'gate', args: ['T-3', 'needs a DBX']}]);
		await settle();
		expect(frame()).toMatch(/T-3 is human-gated/);
	});

	it('a pasted reason arrives in one piece; an empty reason is refused with a hint', async () => {
		const {stdin, control, frame} = setup();
		await settle();
		await press(stdin, 'g', keys.enter);
		expect(frame()).toMatch(/a gate needs a reason/);
		await press(stdin, 'waiting on legal', keys.enter, 'y');
		expect(control.calls).toEqual([{method: 'gate', args: ['T-1', 'waiting on legal']}]);
	});

	it('in the reason prompt the command letters are just text: d, p, q and ? do nothing but type', async () => {
		const {stdin, control, frame, onDetach} = setup();
		await settle();
		await press(stdin, 'g');
		await type(stdin, 'dpq?g');
		expect(frame()).toMatch(/reason> dpq\?g/);
		await press(stdin, keys.enter, 'y');
		expect(onDetach).not.toHaveBeenCalled();
		expect(control.calls).toEqual([{method: 'gate', args: ['T-1', 'dpq?g']}]);
	});

	it('tab jumps between running panes; zoomed, tab switches the zoomed pane', async () => {
		const {stdin, frame} = setup();
		await settle();
		await press(stdin, keys.tab);
		expect(frame()).toMatch(/› T-2 /);
		await press(stdin, keys.tab);
		expect(frame()).toMatch(/› T-1 /);
		await press(stdin, keys.enter);
		expect(frame()).toMatch(/T-1 {2}Export job metrics/);
		await press(stdin, keys.tab);
		expect(frame()).toMatch(/T-2 {2}Grant the metrics writer role/);
		expect(frame()).not.toMatch(/T-1 {2}Export job metrics/);
	});

	it('esc in the reason prompt, or anything but y at the confirmation, cancels without calling anything', async () => {
		const {stdin, control, frame} = setup();
		await settle();
		await press(stdin, 'g');
		await type(stdin, 'no');
		await press(stdin, keys.escape);
		expect(frame()).toMatch(/gate cancelled/);
		await press(stdin, 'g');
		await type(stdin, 'nope');
		await press(stdin, keys.enter, 'n');
		await press(stdin, 'g');
		await type(stdin, 'nope');
		await press(stdin, keys.enter, keys.escape);
		expect(frame()).toMatch(/gate cancelled/);
		expect(control.calls).toEqual([]);
	});

	it('refuses to gate a ticket that is done or already gated (the engine would too)', async () => {
		const {stdin, control, frame} = setup();
		await settle();
		// T-7 (done) is the 7th ticket in list order.
		await press(stdin, ...Array(6).fill(keys.down), 'g');
		expect(frame()).toMatch(/T-7 is done: nothing to gate/);
		await press(stdin, keys.down, 'g');
		expect(frame()).toMatch(/T-8 is already human-gated/);
		expect(control.calls).toEqual([]);
	});

	it('q asks before stopping: y stops, anything else keeps the run going', async () => {
		const {stdin, control, frame, onQuit} = setup();
		await settle();
		await press(stdin, 'q');
		expect(frame()).toMatch(/stop the run\? .* y\/n/);
		await press(stdin, 'n');
		expect(frame()).toMatch(/stop cancelled/);
		await press(stdin, 'q', keys.enter);
		expect(control.calls).toEqual([]);
		await press(stdin, 'q', 'y');
		expect(control.calls).toEqual([{method: 'stop', args: []}]);
		await settle();
		expect(onQuit).toHaveBeenCalledTimes(1);
	});

	it('d and Ctrl+C detach (and call nothing on the engine)', async () => {
		const {stdin, control, onDetach} = setup();
		await settle();
		await press(stdin, 'd');
		expect(onDetach).toHaveBeenCalledTimes(1);
		await press(stdin, keys.ctrlC);
		expect(onDetach).toHaveBeenCalledTimes(2);
		expect(control.calls).toEqual([]);
	});

	it('shows an engine refusal in the status line', async () => {
		const {stdin, control, frame} = setup();
		control.failWith = new Error('the engine is stopping\nmore detail');
		await settle();
		await press(stdin, 'p');
		await settle();
		expect(frame()).toMatch(/pause failed: the engine is stopping/);
	});

	it('? shows the help; any key closes it', async () => {
		const {stdin, frame} = setup();
		await settle();
		await press(stdin, '?');
		expect(frame()).toMatch(/mark the selected ticket human-gated/);
		expect(frame()).not.toMatch(/RUNNING 2/);
		await press(stdin, 'x');
		expect(frame()).toMatch(/RUNNING 2/);
	});

	it('no key sequence reaches anything but pause/resume/gate/stop, and stop only right after q then y', async () => {
		const recording = new RecordingControl();
		const {control, foreign} = watched(recording);
		const onDetach = vi.fn();
		const app = render(<App state={fixtureState()} control={control} logFileOf={logFileOf} maxAttempts={3} onDetach={onDetach} now={now} noColor />);
		resize(app.stdout, 120, 40);
		await settle();

		const printable = Array.from({length: 0x7f - 0x20}, (_, i) => String.fromCharCode(0x20 + i));
		const ctrl = Array.from({length: 26}, (_, i) => String.fromCharCode(i + 1));
		const special = Object.values(keys);
		const all = [...printable, ...ctrl, ...special, '\u001B[1;5A', '\u001Bx', '\u001B[13;2u', 'über', '🙂'];
		// A fixed shuffle, three rounds, then the three paths that do reach the engine.
		let seed = 7;
		const random = (): number => (seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31;
		const sequence: string[] = [];
		for (let round = 0; round < 3; round++) sequence.push(...[...all].sort(() => random() - 0.5));
		sequence.push('\u001B', '\u001B', 'p', 'g', 'r', keys.enter, 'y', 'q', 'y');

		const allowed = new Set(['pause', 'resume', 'gate', 'stop']);
		const pressed: string[] = [];
		let seen = 0;
		for (const key of sequence) {
			pressed.push(key);
			await press(app.stdin, key);
			for (const call of recording.calls.slice(seen)) {
				expect(allowed.has(call.method)).toBe(true);
				if (call.method === 'stop') expect(pressed.slice(-2).map(k => k.toLowerCase())).toEqual(['q', 'y']);
				if (call.method === 'gate') {
					expect(fixtureState().tickets.has(call.args[0] as string)).toBe(true);
					expect(String(call.args[1]).trim()).not.toBe('');
				}
			}
			seen = recording.calls.length;
		}
		expect(foreign).toEqual([]);
		// The harness does reach the engine: the tail of the sequence paused, gated and stopped.
		expect(new Set(recording.calls.map(c => c.method))).toEqual(new Set(['pause', 'gate', 'stop']));
		expect(onDetach).toHaveBeenCalled();
		app.unmount();
	});
});
