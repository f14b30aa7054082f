import {appendFileSync, mkdirSync, mkdtempSync, renameSync, truncateSync, writeFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import path from 'node:path';
import {cleanup, render} from 'ink-testing-library';
import {afterEach, describe, expect, it, vi} from 'vitest';
import {App} from '../../../source/ui/App.js';
import {DEFAULT_WINDOW_BYTES, LogTail} from '../../../source/ui/log-tail.js';
import {fixtureState, RecordingControl, resize, settle, strip, T0} from './helpers.js';

const tempDir = (): string => mkdtempSync(path.join(tmpdir(), 'pl-ui-tail-'));
const numbered = (from: number, to: number, prefix = 'line'): string =>
	Array.from({length: to - from + 1}, (_, i) => `${prefix} ${from + i}`).join('\n') + '\n';

afterEach(() => cleanup());

describe('LogTail', () => {
	it('is empty while the file does not exist, then picks it up', () => {
		const file = path.join(tempDir(), 'later.log');
		const tail = new LogTail(file);
		expect(tail.poll()).toBe(false);
		expect(tail.lines()).toEqual([]);
		writeFileSync(file, 'hello\nwor');
		expect(tail.poll()).toBe(true);
		// The half-written last line is shown as it is so far.
		expect(tail.lines()).toEqual(['hello', 'wor']);
		appendFileSync(file, 'ld\n');
		tail.poll();
		expect(tail.lines()).toEqual(['hello', 'world']);
	});

	it('keeps only the last maxLines of a 50,000-line log, reading only its last window', () => {
		const file = path.join(tempDir(), 'big.log');
		writeFileSync(file, numbered(1, 50_000));
		const tail = new LogTail(file, {maxLines: 200});
		tail.poll();
		const lines = tail.lines();
		expect(lines).toHaveLength(200);
		expect(lines[0]).toBe('line 49801');
		expect(lines.at(-1)).toBe('line 50000');
		expect(tail.bytesRead).toBeLessThanOrEqual(DEFAULT_WINDOW_BYTES);
	});

	it('reads only appended bytes afterwards, and stays bounded however much is appended', () => {
		const file = path.join(tempDir(), 'grow.log');
		writeFileSync(file, numbered(1, 10));
		const tail = new LogTail(file, {maxLines: 50});
		tail.poll();
		const before = tail.bytesRead;
		appendFileSync(file, 'line 11\n');
		expect(tail.poll()).toBe(true);
		expect(tail.bytesRead - before).toBe('line 11\n'.length);
		expect(tail.poll()).toBe(false);
		for (let chunk = 0; chunk < 100; chunk++) {
			appendFileSync(file, numbered(12 + chunk * 100, 11 + (chunk + 1) * 100));
			tail.poll();
			expect(tail.lines().length).toBeLessThanOrEqual(50);
		}
		expect(tail.lines().at(-1)).toBe('line 10011');
	});

	it('skips to the newest window when more than a window arrives between two polls, and says so', () => {
		const file = path.join(tempDir(), 'burst.log');
		writeFileSync(file, numbered(1, 5));
		const tail = new LogTail(file, {maxLines: 1000, windowBytes: 4096});
		tail.poll();
		appendFileSync(file, numbered(6, 20_000));
		const before = tail.bytesRead;
		tail.poll();
		expect(tail.bytesRead - before).toBeLessThanOrEqual(4096);
		expect(tail.lines().at(-1)).toBe('line 20000');
		// The gap is marked where it is (the window holds fewer lines than maxLines here).
		expect(tail.lines()[0]).toMatch(/KiB not shown/);
		expect(tail.lines()).not.toContain('line 5');
	});

	it('starts over when the file is truncated or replaced', () => {
		const dir = tempDir();
		const file = path.join(dir, 'attempt.log');
		writeFileSync(file, numbered(1, 20, 'old'));
		const tail = new LogTail(file);
		tail.poll();
		truncateSync(file, 0);
		writeFileSync(file, 'new 1\n');
		expect(tail.poll()).toBe(true);
		expect(tail.lines()).toEqual(['new 1']);
		const other = path.join(dir, 'other.log');
		writeFileSync(other, numbered(1, 30, 'replaced'));
		renameSync(other, file);
		tail.poll();
		expect(tail.lines()[0]).toBe('replaced 1');
		expect(tail.lines()).not.toContain('new 1');
	});

	it('cleans what it shows: no escape sequences, tabs expanded, \\r progress resolved, long lines capped', () => {
		const file = path.join(tempDir(), 'ansi.log');
		writeFileSync(file, `\u001B[31mred\u001B[0m\tand \u001B]0;title\u0007tab\n10%\r50%\r100%\n\u001B[2J\u001B[Hcleared\n${'x'.repeat(50_000)}\n`);
		const tail = new LogTail(file, {maxLineLength: 300});
		tail.poll();
		expect(tail.lines()).toEqual(['red    and tab', '100%', 'cleared', 'x'.repeat(300)]);
	});
});

describe('a worker pane', () => {
	function setup() {
		const dir = tempDir();
		const logFileOf = (ticket: string, attempt: number): string => path.join(dir, ticket, `${attempt}.log`);
		mkdirSync(path.join(dir, 'T-1'));
		mkdirSync(path.join(dir, 'T-2'));
		return {dir, logFileOf};
	}

	it('shows the last lines of its attempt log, and new ones as they are appended', async () => {
		const {logFileOf} = setup();
		writeFileSync(logFileOf('T-1', 1), numbered(1, 30, 'T-1 says'));
		const {lastFrame, stdout} = render(
			<App
				state={fixtureState()}
				control={new RecordingControl()}
				logFileOf={logFileOf}
				maxAttempts={3}
				onDetach={() => {}}
				now={() => T0 + 60_000}
				logPollMs={20}
				noColor
			/>,
		);
		resize(stdout, 120, 30);
		await vi.waitFor(() => expect(strip(lastFrame())).toMatch(/T-1 says 30/), {timeout: 3000});
		const frame = strip(lastFrame());
		// The pane is shorter than the log: only the tail is drawn, in order.
		expect(frame).not.toMatch(/T-1 says 1\b/);
		const shown = [...frame.matchAll(/T-1 says (\d+)/g)].map(m => Number(m[1]));
		expect(shown.length).toBeGreaterThan(3);
		expect(shown).toEqual(Array.from({length: shown.length}, (_, i) => 31 - shown.length + i));
		// T-2 has written nothing yet.
		expect(frame).toMatch(/\(no output yet\)/);

		appendFileSync(logFileOf('T-1', 1), 'T-1 says 31\n');
		writeFileSync(logFileOf('T-2', 2), 'T-2 is alive\n');
		await vi.waitFor(() => expect(strip(lastFrame())).toMatch(/T-1 says 31[\s\S]*T-2 is alive|T-2 is alive[\s\S]*T-1 says 31/), {timeout: 3000});
	});

	it('shows the end of a 50,000-line log', async () => {
		const {logFileOf} = setup();
		writeFileSync(logFileOf('T-2', 2), numbered(1, 50_000, 'T-2 line'));
		const {lastFrame, stdout} = render(
			<App
				state={fixtureState()}
				control={new RecordingControl()}
				logFileOf={logFileOf}
				maxAttempts={3}
				onDetach={() => {}}
				now={() => T0 + 60_000}
				logPollMs={20}
				noColor
			/>,
		);
		resize(stdout, 120, 30);
		await vi.waitFor(() => expect(strip(lastFrame())).toMatch(/T-2 line 50000/), {timeout: 3000});
		await settle();
		expect(strip(lastFrame())).not.toMatch(/T-2 line 49000\b/);
	});
});
