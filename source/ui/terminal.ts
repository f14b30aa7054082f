// The terminal around the TUI. Ink 6 has no alternate-screen option (Ink 7's
// `alternateScreen` needs Node 22), so the escapes are written here, and
// undone on every way out: a normal return, process exit, a signal from
// outside (a killed tmux pane sends SIGHUP), an uncaught error. Signals only
// tear the UI down; the engine is another process and is never touched.

import ansiEscapes from 'ansi-escapes';

export const ALT_SCREEN_ON = ansiEscapes.enterAlternativeScreen;
export const ALT_SCREEN_OFF = ansiEscapes.exitAlternativeScreen;
export const CURSOR_HIDE = ansiEscapes.cursorHide;
export const CURSOR_SHOW = ansiEscapes.cursorShow;
const CURSOR_HOME = '\u001B[H';
/** Home the cursor and clear the (alternate) screen. */
export const CLEAR_SCREEN = CURSOR_HOME + ansiEscapes.eraseScreen;
/** Attributes back to normal (a frame cut off mid-colour must not tint the shell). */
export const RESET_ATTRIBUTES = '\u001B[0m';

export const uiSignals = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const satisfies readonly NodeJS.Signals[];

type Writable = {write(chunk: string): unknown; isTTY?: boolean};

/** The slice of `process` this module uses (tests pass a fake). */
export type ProcessLike = {
	on(event: 'exit' | 'uncaughtExceptionMonitor', listener: (...args: unknown[]) => void): unknown;
	on(event: NodeJS.Signals, listener: (signal: NodeJS.Signals) => void): unknown;
	off(event: string, listener: (...args: never[]) => void): unknown;
	kill(pid: number, signal?: NodeJS.Signals): unknown;
	pid: number;
};

export type TerminalSession = {
	/** Leave the alternate screen and show the cursor again. Safe to call more than once. */
	restore(): void;
	readonly active: boolean;
};

export type FullScreenOptions = {
	stdout?: Writable;
	/**
	 * A signal arrived (SIGINT from `kill`, SIGTERM, SIGHUP). When given, it
	 * must tear the UI down (and call restore()); when absent, the terminal is
	 * restored and the signal re-raised so the process ends as it would have.
	 */
	onSignal?: (signal: NodeJS.Signals) => void;
	process?: ProcessLike;
};

/** Switch to the alternate screen with the cursor hidden, and make sure it is switched back whatever happens. */
export function enterFullScreen(options: FullScreenOptions = {}): TerminalSession {
	const stdout: Writable = options.stdout ?? process.stdout;
	const proc: ProcessLike = options.process ?? (process as unknown as ProcessLike);
	let active = true;
	const write = (text: string): void => {
		try {
			stdout.write(text);
		} catch {
			// The terminal may be gone (SIGHUP): nothing left to restore on it.
		}
	};

	const restore = (): void => {
		if (!active) return;
		active = false;
		proc.off('exit', onExit);
		proc.off('uncaughtExceptionMonitor', onExit);
		for (const signal of uiSignals) proc.off(signal, onSignal);
		write(RESET_ATTRIBUTES + CURSOR_SHOW + ALT_SCREEN_OFF);
	};
	const onExit = (): void => restore();
	const onSignal = (signal: NodeJS.Signals): void => {
		if (options.onSignal) {
			options.onSignal(signal);
			restore();
			return;
		}
		restore();
		proc.kill(proc.pid, signal);
	};

	proc.on('exit', onExit);
	// The monitor runs before Node's default crash handling without changing it.
	proc.on('uncaughtExceptionMonitor', onExit);
	for (const signal of uiSignals) proc.on(signal, onSignal);
	write(ALT_SCREEN_ON + CLEAR_SCREEN + CURSOR_HIDE);

	return {
		restore,
		get active() {
			return active;
		},
	};
}

// Ink draws a frame as "erase the previous N lines, then write the new ones"
// (ansi-escapes eraseLines), and a terminal without synchronized output (tmux
// 3.3) shows the blank in between: every frame flickers. Ink's incremental
// renderer misplaces frames that do not fill the terminal, so the standard
// one's output is rewritten instead: on the alternate screen a frame starts
// at the top left, each line erases its own end and the frame what is below.

// The pieces of ansi-escapes' eraseLines, which Ink writes before a frame.
const escapeRegExp = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const ERASE_LINES = new RegExp(`^(?:${[ansiEscapes.eraseLine, ansiEscapes.cursorUp(1), ansiEscapes.cursorLeft].map(escapeRegExp).join('|')})+`);
// eslint-disable-next-line no-control-regex -- private mode set/reset (cursor, synchronized output) is what it matches
const MODE_SWITCH = /^(?:\u001B\[\?\d+[hl])+$/;

/**
 * One chunk Ink writes, as it goes to the terminal: mode switches (cursor,
 * synchronized output) pass through; an erase with nothing after it (Ink
 * clearing before a redraw) is dropped; a frame is drawn over the previous one.
 */
export function overwriteFrame(chunk: string): string {
	if (chunk === '' || MODE_SWITCH.test(chunk)) return chunk;
	const erased = ERASE_LINES.exec(chunk);
	const frame = erased ? chunk.slice(erased[0].length) : chunk;
	if (frame === '') return '';
	const lines = frame.endsWith('\n') ? frame.slice(0, -1).split('\n') : frame.split('\n');
	return CURSOR_HOME + lines.map(line => line + ansiEscapes.eraseEndLine).join('\n') + '\n' + ansiEscapes.eraseDown;
}

/** `stdout` as Ink should see it on the alternate screen: the same stream, with frames drawn in place (see overwriteFrame). */
export function inPlaceFrames<T extends {write: (...args: never[]) => unknown}>(stdout: T): T {
	const write = (chunk: unknown, ...rest: unknown[]): unknown => {
		const text = typeof chunk === 'string' ? chunk : Buffer.isBuffer(chunk) ? chunk.toString('utf8') : String(chunk);
		const out = overwriteFrame(text);
		// An empty write still carries its callback (Ink uses one as a flush barrier on exit).
		return (stdout.write as (...args: unknown[]) => unknown).call(stdout, out, ...rest);
	};
	return new Proxy(stdout, {
		get(target, property) {
			if (property === 'write') return write;
			const value = Reflect.get(target, property, target) as unknown;
			return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
		},
	});
}

/** Whether this process can show the TUI at all (else: plain progress lines). */
export function canShowTui(stdin: {isTTY?: boolean} = process.stdin, stdout: {isTTY?: boolean} = process.stdout): boolean {
	return stdin.isTTY === true && stdout.isTTY === true;
}
