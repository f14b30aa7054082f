// The terminal around the TUI. Ink 6 has no alternate-screen option (Ink 7's
// `alternateScreen` needs Node 22), so the escapes are written here, and
// undone on every way out: a normal return, process exit, a signal from
// outside (a killed tmux pane sends SIGHUP), an uncaught error. Signals only
// tear the UI down; the engine is another process and is never touched.

export const ALT_SCREEN_ON = '\u001B[?1049h';
export const ALT_SCREEN_OFF = '\u001B[?1049l';
export const CURSOR_HIDE = '\u001B[?25l';
export const CURSOR_SHOW = '\u001B[?25h';
/** Home the cursor and clear the (alternate) screen. */
export const CLEAR_SCREEN = '\u001B[H\u001B[2J';
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

// Ink's standard renderer draws a frame as "erase the previous N lines, then
// write the new ones" (ansi-escapes eraseLines). Between the erase and the
// write the screen is blank, and a terminal without synchronized output
// (tmux 3.3 among them) can show that: every frame flickers. Ink 6.8's
// `incrementalRendering` avoids the erase but misplaces the frame by one row
// whenever the frame does not fill the terminal (checked in tmux: the first
// line repeats and the last one falls off), and a frame that fills the
// terminal makes Ink clear the whole screen on every render. So the frames
// stay one line shorter than the terminal, the standard renderer is used, and
// its output is rewritten on the way out: on the alternate screen a frame
// always starts at the top left, so "erase N lines" becomes "cursor home", each
// line ends with erase-to-end-of-line, and the frame ends with erase-below.
// Every frame overwrites the last in place; nothing is ever blank.

// eslint-disable-next-line no-control-regex -- escape sequences are what it matches
const ERASE_LINES = /^(?:\u001B\[2K|\u001B\[1A|\u001B\[G)+/;
// eslint-disable-next-line no-control-regex -- escape sequences are what it matches
const MODE_SWITCH = /^(?:\u001B\[\?\d+[hl])+$/;
const ERASE_LINE_END = '\u001B[K';
const ERASE_BELOW = '\u001B[J';
const CURSOR_HOME = '\u001B[H';

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
	return CURSOR_HOME + lines.map(line => line + ERASE_LINE_END).join('\n') + '\n' + ERASE_BELOW;
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
