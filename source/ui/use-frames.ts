import {useEffect, useRef, useState} from 'react';
import {formatLogLine} from './format-log-line.js';
import {LogTail, type LogTailOptions} from './log-tail.js';

// One clock for everything on screen that moves by itself: every shown pane's
// log is read on the same tick, and the spinners and clocks step with it, so
// a flood of output costs one React commit (one Ink frame) per tick, not one
// per pane, per spinner and per second. Keys never wait for this clock: they
// render as they arrive (see attach.tsx, maxFps).

/** How often shown logs are read and the spinners step (4 frames a second). */
export const DEFAULT_FRAME_MS = 250;
/** A tail not shown for this many ticks is dropped (a pane scrolled out, a zoom left). */
const KEEP_HIDDEN_TICKS = 40;
const NO_LINES: readonly string[] = Object.freeze([]);
export const SPINNER = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'] as const;

/** The tails of the logs on screen, read together. */
export class LogTails {
	private readonly tails = new Map<string, {tail: LogTail; hidden: number}>();

	constructor(private readonly options: LogTailOptions = {format: formatLogLine}) {}

	/** Read what is new in each of `files`; true when any of them changed. Tails of other files are kept a while, unread. */
	poll(files: readonly string[]): boolean {
		const shown = new Set(files);
		let changed = false;
		for (const file of shown) {
			let entry = this.tails.get(file);
			if (!entry) {
				entry = {tail: new LogTail(file, this.options), hidden: 0};
				this.tails.set(file, entry);
			}
			entry.hidden = 0;
			try {
				if (entry.tail.poll()) changed = true;
			} catch {
				// Unreadable for a moment (permissions, a race with rotation): try again next tick.
			}
		}
		for (const [file, entry] of this.tails) if (!shown.has(file) && ++entry.hidden > KEEP_HIDDEN_TICKS) this.tails.delete(file);
		return changed;
	}

	/** The shown lines of `file` as of the last poll (the same array until they change). */
	lines(file: string | undefined): readonly string[] {
		return (file === undefined ? undefined : this.tails.get(file)?.tail.lines()) ?? NO_LINES;
	}

	/** How many tails are held (tests). */
	get size(): number {
		return this.tails.size;
	}
}

export type Frame = {
	/** Counts frames; the spinners' phase. */
	n: number;
	/** When this frame was taken: the clocks on screen read it, so a key's render changes no clock. */
	at: number;
	lines: (file: string | undefined) => readonly string[];
};

/**
 * Re-render on the frame clock when a shown log changed, when something
 * animates (`animate`: a spinner is on screen), or when the second changed
 * (the clocks); otherwise not at all.
 */
export function useFrames(files: readonly string[], options: {animate: boolean; intervalMs?: number; maxLines?: number}): Frame {
	const intervalMs = options.intervalMs ?? DEFAULT_FRAME_MS;
	const tails = useRef<{tails: LogTails; maxLines: number | undefined} | undefined>(undefined);
	// A tail holds only what the tallest view can show (the terminal's rows): a flood formats no line that cannot be seen.
	if (tails.current?.maxLines !== options.maxLines) {
		tails.current = {
			tails: new LogTails({format: formatLogLine, ...(options.maxLines === undefined ? {} : {maxLines: options.maxLines})}),
			maxLines: options.maxLines,
		};
	}
	const filesRef = useRef(files);
	filesRef.current = files;
	const animate = useRef(options.animate);
	animate.current = options.animate;
	const [frame, setFrame] = useState(() => ({n: 0, at: Date.now()}));
	const last = useRef(frame.at);
	// A new file on screen is read at once, not on the next tick.
	const key = files.join('\u0000');
	useEffect(() => {
		let immediate: ReturnType<typeof setImmediate> | undefined;
		const frame = (): void => {
			immediate = undefined;
			const changed = tails.current!.tails.poll(filesRef.current);
			const now = Date.now();
			if (!changed && !animate.current && Math.floor(now / 1000) === Math.floor(last.current / 1000)) return;
			last.current = now;
			setFrame(f => ({n: f.n + 1, at: now}));
		};
		// Input first: the frame is drawn after this turn's I/O, so a key that arrived with the tick is drawn before it.
		const tick = (): void => {
			immediate ??= setImmediate(frame);
		};
		frame();
		const timer = setInterval(tick, intervalMs);
		return () => {
			clearInterval(timer);
			if (immediate) clearImmediate(immediate);
		};
	}, [key, intervalMs, options.maxLines]);
	const lines = useRef((file: string | undefined) => tails.current!.tails.lines(file));
	return {...frame, lines: lines.current};
}
