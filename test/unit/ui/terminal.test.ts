import {EventEmitter} from 'node:events';
import {describe, expect, it, vi} from 'vitest';
import {
	ALT_SCREEN_OFF,
	ALT_SCREEN_ON,
	CURSOR_HIDE,
	CURSOR_SHOW,
	canShowTui,
	enterFullScreen,
	inPlaceFrames,
	overwriteFrame,
	type ProcessLike,
} from '../../../source/ui/terminal.js';
import {makeTheme, noColorRequested} from '../../../source/ui/theme.js';
import {cleanLine, fitWidth} from '../../../source/ui/text.js';

function fakes() {
	const written: string[] = [];
	const stdout = {write: (chunk: string) => written.push(chunk), isTTY: true};
	const proc = Object.assign(new EventEmitter(), {pid: 4242, kill: vi.fn()});
	return {written, stdout, proc, process: proc as unknown as ProcessLike, output: () => written.join('')};
}

describe('terminal', () => {
	it('enters the alternate screen with the cursor hidden, and restore() undoes it exactly once', () => {
		const {stdout, process, proc, output} = fakes();
		const session = enterFullScreen({stdout, process});
		expect(output()).toContain(ALT_SCREEN_ON);
		expect(output()).toContain(CURSOR_HIDE);
		expect(proc.listenerCount('SIGTERM')).toBe(1);
		session.restore();
		session.restore();
		const out = output();
		expect(out.split(ALT_SCREEN_OFF)).toHaveLength(2);
		expect(out.indexOf(CURSOR_SHOW)).toBeGreaterThan(out.indexOf(CURSOR_HIDE));
		expect(session.active).toBe(false);
		for (const event of ['SIGINT', 'SIGTERM', 'SIGHUP', 'exit', 'uncaughtExceptionMonitor']) expect(proc.listenerCount(event)).toBe(0);
	});

	it('restores on process exit and on an uncaught error', () => {
		for (const event of ['exit', 'uncaughtExceptionMonitor']) {
			const {stdout, process, proc, output} = fakes();
			enterFullScreen({stdout, process});
			proc.emit(event, new Error('boom'));
			expect(output().endsWith(ALT_SCREEN_OFF)).toBe(true);
		}
	});

	it('a signal tears the UI down through onSignal (never ending the engine), or restores and re-raises', () => {
		const withHandler = fakes();
		const onSignal = vi.fn();
		enterFullScreen({stdout: withHandler.stdout, process: withHandler.process, onSignal});
		withHandler.proc.emit('SIGHUP', 'SIGHUP');
		expect(onSignal).toHaveBeenCalledWith('SIGHUP');
		expect(withHandler.output().endsWith(ALT_SCREEN_OFF)).toBe(true);
		expect(withHandler.proc.kill).not.toHaveBeenCalled();

		const without = fakes();
		enterFullScreen({stdout: without.stdout, process: without.process});
		without.proc.emit('SIGTERM', 'SIGTERM');
		expect(without.output().endsWith(ALT_SCREEN_OFF)).toBe(true);
		expect(without.proc.kill).toHaveBeenCalledWith(4242, 'SIGTERM');
		expect(without.proc.listenerCount('SIGTERM')).toBe(0);
	});

	it('only shows the TUI when both stdin and stdout are terminals', () => {
		expect(canShowTui({isTTY: true}, {isTTY: true})).toBe(true);
		expect(canShowTui({isTTY: false}, {isTTY: true})).toBe(false);
		expect(canShowTui({isTTY: true}, {})).toBe(false);
	});

	it('honours NO_COLOR (set and not empty), as no-color.org says', () => {
		expect(noColorRequested({NO_COLOR: '1'})).toBe(true);
		expect(noColorRequested({NO_COLOR: ''})).toBe(false);
		expect(noColorRequested({})).toBe(false);
		expect(makeTheme(true).color('bad')).toBeUndefined();
		expect(makeTheme(false).color('bad')).toBe('red');
	});

	it('cleans log lines of anything that could move the cursor or switch modes', () => {
		expect(cleanLine('\u001B[?1049l\u001B[?25h\u001B(Bok\u001B7\u001B8\u001BPdcs\u001B\\\u0007\u0008')).toBe('ok');
	});
});

describe('frames drawn in place', () => {
	// What Ink 6.8's standard renderer writes for a 3-line frame after a 3-line frame (ansi-escapes eraseLines(4)).
	const inkFrame = '\u001B[2K\u001B[1A\u001B[2K\u001B[1A\u001B[2K\u001B[1A\u001B[2K\u001B[Gone\ntwo\nthree\n';

	it('turns "erase the last frame, then write" into "go home, overwrite each line, erase what is left"', () => {
		const out = overwriteFrame(inkFrame);
		expect(out).toBe('\u001B[Hone\u001B[K\ntwo\u001B[K\nthree\u001B[K\n\u001B[J');
		// Nothing on screen is erased before it is redrawn.
		expect(out).not.toContain('\u001B[2K');
		expect(overwriteFrame('first frame\n')).toBe('\u001B[Hfirst frame\u001B[K\n\u001B[J');
	});

	it('passes mode switches through and drops a bare erase (Ink clearing before a redraw)', () => {
		expect(overwriteFrame('\u001B[?2026h')).toBe('\u001B[?2026h');
		expect(overwriteFrame('\u001B[?25l')).toBe('\u001B[?25l');
		expect(overwriteFrame('\u001B[2K\u001B[1A\u001B[2K\u001B[G')).toBe('');
		expect(overwriteFrame('')).toBe('');
	});

	it('wraps a stream: rewrites writes, keeps callbacks (Ink flushes with an empty write) and everything else', () => {
		const written: string[] = [];
		const target = Object.assign(new EventEmitter(), {
			columns: 77,
			write(chunk: string, callback?: () => void): boolean {
				written.push(chunk);
				callback?.();
				return true;
			},
		});
		const stream = inPlaceFrames(target);
		const flushed = vi.fn();
		stream.write(inkFrame);
		stream.write('', flushed);
		expect(written[0]!.startsWith('\u001B[H')).toBe(true);
		expect(flushed).toHaveBeenCalled();
		expect(stream.columns).toBe(77);
		const onResize = vi.fn();
		stream.on('resize', onResize);
		target.emit('resize');
		expect(onResize).toHaveBeenCalled();
	});
});

describe('fitting a line to a width', () => {
	it('cuts at the width in cells, counting wide characters twice, and marks the cut', () => {
		expect(fitWidth('hello', 10)).toBe('hello');
		expect(fitWidth('hello world', 5)).toBe('hell…');
		expect(fitWidth('日本語のテキスト', 6)).toBe('日本…');
		expect(fitWidth('ab日本', 4)).toBe('ab…');
		expect(fitWidth('ab日', 4)).toBe('ab日');
		expect(fitWidth('x', 0)).toBe('');
	});

	it('counts emoji and wide characters as two cells, whatever the block', () => {
		expect(fitWidth('🚀🚀🚀', 4)).toBe('🚀…');
		expect(fitWidth('☕ ok', 5)).toBe('☕ ok');
		expect(fitWidth('☕ ok', 4)).toBe('☕ …');
		expect(fitWidth('👍🏽👍🏽', 3)).toBe('👍🏽…');
	});

	it('strips hyperlinks and titles whole, not only their escape', () => {
		expect(cleanLine('see \u001B]8;;https://example.com/a b\u0007the docs\u001B]8;;\u0007 now')).toBe('see the docs now');
		expect(cleanLine('\u001B]0;my title\u001B\\after')).toBe('after');
	});

	it('drops zero-width characters so widths add up', () => {
		expect(cleanLine('e\u0301 a\u200Bb')).toBe('é ab');
	});
});
