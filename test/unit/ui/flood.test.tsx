import {appendFileSync, mkdirSync, mkdtempSync} from 'node:fs';
import {tmpdir} from 'node:os';
import path from 'node:path';
import {afterEach, describe, expect, it, vi} from 'vitest';
import {runDir} from '../../../source/core/run-dir.js';
import {attachTui} from '../../../source/ui/attach.js';
import {FakeClient, FakeStdin, FakeStdout} from './fake-terminal.js';
import {fixtureEvents, RUN_ID} from './helpers.js';

// The TUI while its workers print as fast as they can (#14): what moves by
// itself is drawn on one frame clock (a few frames a second, however many
// panes flood), and a key is drawn at once, never behind that clock.

const HELP = 'this help (any key closes it)';
const sleep = (ms: number) => new Promise(resolve => setTimeout(resolve, ms));
const timers: ReturnType<typeof setInterval>[] = [];
afterEach(() => {
	for (const timer of timers.splice(0)) clearInterval(timer);
});

/** The fixture's running workers (T-1 attempt 1, T-2 attempt 2) each print 5,000 lines a second into their attempt logs. */
function flood(repoRoot: string): {written: () => number} {
	const run = runDir(repoRoot, RUN_ID);
	const logs = [run.logFile('T-1', 1), run.logFile('T-2', 2)];
	for (const file of logs) mkdirSync(path.dirname(file), {recursive: true});
	let n = 0;
	timers.push(
		setInterval(() => {
			const from = n;
			n += 50;
			for (const file of logs) {
				const ticket = path.basename(path.dirname(file));
				let chunk = '';
				for (let i = from + 1; i <= n; i++) chunk += `line ${i} of ${ticket}: ${'x'.repeat(i % 60)}\n`;
				appendFileSync(file, chunk);
			}
		}, 10),
	);
	return {written: () => n};
}

/** Frames Ink drew so far (each one carries the header). */
const frames = (stdout: FakeStdout): number => stdout.chunks.filter(chunk => chunk.includes('batch observability')).length;
const lastFrame = (stdout: FakeStdout): string => stdout.chunks.findLast(chunk => chunk.includes('batch observability')) ?? '';

/** Whether a frame that passes `drawn` is written after chunk `mark` within a few event-loop turns (setImmediate, no timers waited for). */
async function drawnWithinTurns(stdout: FakeStdout, mark: number, drawn: (frame: string) => boolean): Promise<boolean> {
	for (let turn = 0; turn < 6; turn++) {
		if (stdout.chunks.slice(mark).some(chunk => chunk.includes('batch observability') && drawn(chunk))) return true;
		await new Promise(resolve => setImmediate(resolve));
	}
	return false;
}

describe('the TUI under a flood of output', () => {
	it('draws a few frames a second, shows the newest lines, and draws a key at once', async () => {
		const repoRoot = mkdtempSync(path.join(tmpdir(), 'pl-ui-flood-'));
		const {written} = flood(repoRoot);
		const stdout = new FakeStdout();
		const stdin = new FakeStdin();
		const result = attachTui({
			client: new FakeClient(fixtureEvents()),
			repoRoot,
			runId: RUN_ID,
			maxAttempts: 3,
			stdout: stdout as unknown as NodeJS.WriteStream,
			stdin: stdin as unknown as NodeJS.ReadStream,
			stderr: new FakeStdout() as unknown as NodeJS.WriteStream,
		});
		await vi.waitFor(() => expect(stdout.output()).toMatch(/line \d+ of T-1[\s\S]*line \d+ of T-2|line \d+ of T-2[\s\S]*line \d+ of T-1/), {timeout: 20_000});

		// The panes follow the flood: a line written now is on screen soon after.
		const target = written();
		await vi.waitFor(
			() => {
				const shown = [...lastFrame(stdout).matchAll(/line (\d+) of T-1/g)].map(m => Number(m[1]));
				expect(Math.max(0, ...shown)).toBeGreaterThanOrEqual(target);
			},
			{timeout: 20_000},
		);

		// Two panes flooding (and their spinners and clocks) cost about one frame per 250 ms tick, not one per pane per poll.
		const before = frames(stdout);
		const started = performance.now();
		await sleep(2000);
		const seconds = (performance.now() - started) / 1000;
		expect(frames(stdout) - before).toBeLessThanOrEqual(Math.ceil(seconds * 4) + 3);

		// A key is on screen as soon as it is read: a few turns of the event loop, never a wait for a timer (a throttle or the next tick).
		for (let i = 0; i < 5; i++) {
			let mark = stdout.chunks.length;
			stdin.write('?');
			expect(await drawnWithinTurns(stdout, mark, text => text.includes(HELP))).toBe(true);
			mark = stdout.chunks.length;
			stdin.write('x');
			expect(await drawnWithinTurns(stdout, mark, text => !text.includes(HELP) && text.includes('line '))).toBe(true);
			await sleep(37);
		}

		stdin.write('d');
		await expect(result).resolves.toMatchObject({reason: 'detached'});
	}, 60_000);
});
