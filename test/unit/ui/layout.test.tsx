import {cleanup, render} from 'ink-testing-library';
import {afterEach, describe, expect, it} from 'vitest';
import {App} from '../../../source/ui/App.js';
import {computeLayout} from '../../../source/ui/layout.js';
import {fixtureEvents, fold, keys, press, RecordingControl, resize, settle, stamp, strip, T0, ticket} from './helpers.js';
import {fixtureState} from './helpers.js';

const logFileOf = (ticket: string, attempt: number): string => `/nonexistent/${ticket}/${attempt}.log`;
const now = (): number => T0 + 95_000;

afterEach(() => cleanup());

const lineOf = (frame: string, pattern: RegExp): number => frame.split('\n').findIndex(line => pattern.test(line));
// A pane's title line (the list row has the stage between id and title).
const paneTitle = {t1: /T-1 {2}Export job metrics/, t2: /T-2 {2}Grant the metrics writer role/};

function setup(state = fixtureState()) {
	const app = render(<App state={state} control={new RecordingControl()} logFileOf={logFileOf} maxAttempts={3} onDetach={() => {}} now={now} noColor />);
	return {...app, frame: () => strip(app.lastFrame())};
}

describe('layout', () => {
	it('puts panes side by side in a wide terminal and stacks them under the list in a narrow one, re-laying out on resize', async () => {
		const {stdout, frame} = setup();
		resize(stdout, 160, 40);
		await settle();
		expect(lineOf(frame(), paneTitle.t1)).toBeGreaterThan(0);
		expect(lineOf(frame(), paneTitle.t1)).toBe(lineOf(frame(), paneTitle.t2));

		resize(stdout, 80, 40);
		await settle();
		const t1 = lineOf(frame(), paneTitle.t1);
		const t2 = lineOf(frame(), paneTitle.t2);
		expect(t1).toBeGreaterThan(lineOf(frame(), /^RUNNING 2/));
		expect(t2).toBeGreaterThan(t1);
		// Stacked: one pane per row, each as wide as the terminal.
		expect(frame().split('\n')[t1]!.startsWith('║') || frame().split('\n')[t1]!.startsWith('│')).toBe(true);
	});

	it('enter zooms the selected running ticket to the whole body; esc goes back', async () => {
		const {stdin, stdout, frame} = setup();
		resize(stdout, 120, 30);
		await settle();
		await press(stdin, keys.tab); // T-1 -> T-2, the next running pane
		await press(stdin, keys.enter);
		expect(frame()).toMatch(paneTitle.t2);
		expect(frame()).not.toMatch(paneTitle.t1);
		expect(frame()).not.toMatch(/^READY 1/m);
		// The zoomed pane spans the width.
		expect(frame().split('\n')[lineOf(frame(), paneTitle.t2)]).toMatch(/^║.*║$/);
		await press(stdin, keys.escape);
		expect(frame()).toMatch(paneTitle.t1);
		expect(frame()).toMatch(paneTitle.t2);
		expect(frame()).toMatch(/^READY 1/m);
	});

	it('enter on a ticket that never ran says so instead of zooming', async () => {
		const {stdin, stdout, frame} = setup();
		resize(stdout, 120, 30);
		await settle();
		await press(stdin, keys.down, keys.down, keys.enter); // T-3, ready, no attempt yet
		expect(frame()).toMatch(/T-3 has not run yet/);
		expect(frame()).toMatch(/^READY 1/m);
	});

	it('never draws a frame taller than the terminal minus one line, nor wider than it', async () => {
		// Many tickets and six workers, so every part wants more room than there is.
		const events = fixtureEvents();
		const extra = Array.from({length: 40}, (_, i) => ticket(`X-${i + 1}`, `An extra ticket with a rather long title number ${i + 1}`));
		const busy = fold(
			stamp(
				[
					{type: 'run.tickets', tickets: extra},
					...extra.slice(0, 4).map(t => ({type: 'attempt.started' as const, ticket: t.id, attempt: 1, maxAttempts: 3, agent: 'demo', worktree: '/tmp'})),
				],
				events.length + 1,
			),
			fold(events),
		);
		const {stdout, frame} = setup(busy);
		for (const [columns, rows] of [
			[200, 60],
			[160, 40],
			[120, 30],
			[100, 24],
			[99, 24],
			[80, 24],
			[80, 12],
			[60, 16],
			[40, 10],
			[30, 9],
			[20, 5],
		] as const) {
			resize(stdout, columns, rows);
			await settle();
			const lines = frame().split('\n');
			expect(lines.length, `${columns}x${rows}`).toBeLessThanOrEqual(rows - 1);
			for (const line of lines) expect([...line].length, `${columns}x${rows}: ${line}`).toBeLessThanOrEqual(columns);
		}
	});

	it('computes pane heights that fit: stacked panes share the room under the list, extra panes are counted, not drawn', () => {
		const wide = computeLayout({columns: 160, rows: 40, workers: 2, listRows: 16, oracleLines: 2, zoomed: false});
		expect(wide.panes.columns).toBe(2);
		expect(wide.panes.visible).toBe(2);
		expect(wide.panes.paneHeight).toBe(wide.body);

		const narrow = computeLayout({columns: 80, rows: 40, workers: 3, listRows: 30, oracleLines: 2, zoomed: false});
		expect(narrow.panes.columns).toBe(1);
		expect(narrow.list.height + narrow.panes.height).toBe(narrow.body);
		expect(narrow.panes.paneHeight * narrow.panes.visible).toBeLessThanOrEqual(narrow.panes.height);

		const crowded = computeLayout({columns: 80, rows: 20, workers: 8, listRows: 30, oracleLines: 1, zoomed: false});
		expect(crowded.panes.visible).toBeLessThan(8);
		expect(crowded.panes.moreLine).toBe(1);
		expect(crowded.panes.paneHeight * crowded.panes.visible + crowded.panes.moreLine).toBeLessThanOrEqual(crowded.panes.height);
		expect(crowded.header + crowded.oracle + crowded.body + crowded.footer).toBe(19);
	});
});
