import {closeSync, fstatSync, openSync, readSync, statSync} from 'node:fs';
import {StringDecoder} from 'node:string_decoder';
import {useEffect, useState} from 'react';
import {cleanLine} from './text.js';

// The tail of a growing log file in a bounded buffer. A pane must stay cheap
// however fast its worker prints and however long the run: the first read
// takes only the file's last WINDOW bytes, later reads take only what was
// appended (and, when more than WINDOW bytes arrived between two polls, skip to
// the newest WINDOW), the buffer keeps at most `maxLines` lines of at most
// `maxLineLength` characters, and React hears of a change at most once a poll.

export const DEFAULT_MAX_LINES = 200;
export const DEFAULT_WINDOW_BYTES = 64 * 1024;
export const DEFAULT_POLL_MS = 250;
const MAX_LINE_LENGTH = 1000;

export type LogTailOptions = {maxLines?: number; windowBytes?: number; maxLineLength?: number};

export class LogTail {
	private readonly maxLines: number;
	private readonly windowBytes: number;
	private readonly maxLineLength: number;
	/** Complete lines, oldest first; trimmed back to maxLines when it grows past twice that. */
	private complete: string[] = [];
	/** Text after the last newline (a line still being written). */
	private pending = '';
	/** Skip everything up to the first newline (we started reading mid-line). */
	private dropUntilNewline = false;
	private decoder = new StringDecoder('utf8');
	private offset = 0;
	private inode: number | undefined;
	private snapshot: string[] = [];
	/** Bytes read from disk so far (tests and benchmarks look at it). */
	bytesRead = 0;

	constructor(
		readonly file: string,
		options: LogTailOptions = {},
	) {
		this.maxLines = Math.max(1, options.maxLines ?? DEFAULT_MAX_LINES);
		this.windowBytes = Math.max(1024, options.windowBytes ?? DEFAULT_WINDOW_BYTES);
		this.maxLineLength = options.maxLineLength ?? MAX_LINE_LENGTH;
	}

	/** The last maxLines lines (the line being written counts as the last one). Stable between changes. */
	lines(): readonly string[] {
		return this.snapshot;
	}

	/** Read what is new; true when the lines changed. A missing file is simply empty (the attempt may not have written yet). */
	poll(): boolean {
		let size: number;
		let inode: number;
		try {
			const stat = statSync(this.file);
			size = stat.size;
			inode = stat.ino;
		} catch {
			return this.inode === undefined ? false : this.reset(undefined);
		}
		// Replaced (a new file at the path) or truncated: start over from the new content.
		if ((this.inode !== undefined && inode !== this.inode) || size < this.offset) this.reset(inode);
		this.inode = inode;
		if (size === this.offset) return false;
		let from = this.offset;
		if (size - from > this.windowBytes) {
			// Too much arrived at once (or this is the first look at a big file): only the newest window matters.
			const skipped = from > 0;
			from = size - this.windowBytes;
			this.complete = skipped ? [`… ${Math.round((from - this.offset) / 1024)} KiB not shown …`] : [];
			this.pending = '';
			this.decoder = new StringDecoder('utf8');
			this.dropUntilNewline = true;
		}
		const length = size - from;
		const buffer = Buffer.allocUnsafe(length);
		let read = 0;
		const fd = openSync(this.file, 'r');
		try {
			// The file may have been swapped between stat and open: trust the descriptor.
			if (fstatSync(fd).ino !== inode) return false;
			while (read < length) {
				const n = readSync(fd, buffer, read, length - read, from + read);
				if (n === 0) break;
				read += n;
			}
		} finally {
			closeSync(fd);
		}
		this.bytesRead += read;
		this.offset = from + read;
		this.append(this.decoder.write(buffer.subarray(0, read)));
		return true;
	}

	private reset(inode: number | undefined): boolean {
		const hadLines = this.snapshot.length > 0;
		this.complete = [];
		this.pending = '';
		this.dropUntilNewline = false;
		this.decoder = new StringDecoder('utf8');
		this.offset = 0;
		this.inode = inode;
		this.snapshot = [];
		return hadLines;
	}

	private append(text: string): void {
		let start = 0;
		if (this.dropUntilNewline) {
			const newline = text.indexOf('\n');
			if (newline < 0) return;
			this.dropUntilNewline = false;
			start = newline + 1;
		}
		const fresh: string[] = [];
		let newline: number;
		while ((newline = text.indexOf('\n', start)) >= 0) {
			fresh.push(this.pending + text.slice(start, newline));
			this.pending = '';
			start = newline + 1;
		}
		// Clean only what can still be shown: a burst of thousands of lines costs a split, not thousands of regexes.
		for (const line of fresh.length > this.maxLines ? fresh.slice(-this.maxLines) : fresh) this.complete.push(cleanLine(line, this.maxLineLength));
		this.pending += text.slice(start);
		// A line with no end in sight stays bounded too (keep its newest part: a \r progress bar redraws at the end).
		if (this.pending.length > this.maxLineLength * 8) this.pending = this.pending.slice(-this.maxLineLength * 4);
		if (this.complete.length > this.maxLines * 2) this.complete = this.complete.slice(-this.maxLines);
		const lines = this.pending
			? [...this.complete.slice(-(this.maxLines - 1)), cleanLine(this.pending, this.maxLineLength)]
			: this.complete.slice(-this.maxLines);
		this.snapshot = lines;
	}
}

/**
 * The last lines of `file` (undefined = nothing to show), polled every
 * `intervalMs`. Re-renders only when something was appended.
 */
export function useLogTail(file: string | undefined, options: LogTailOptions & {intervalMs?: number} = {}): readonly string[] {
	const {maxLines, windowBytes, maxLineLength, intervalMs = DEFAULT_POLL_MS} = options;
	const [lines, setLines] = useState<readonly string[]>([]);
	useEffect(() => {
		setLines([]);
		if (!file) return;
		const tail = new LogTail(file, {maxLines, windowBytes, maxLineLength});
		const tick = (): void => {
			try {
				if (tail.poll()) setLines(tail.lines());
			} catch {
				// Unreadable for a moment (permissions, a race with rotation): try again next tick.
			}
		};
		tick();
		const timer = setInterval(tick, intervalMs);
		return () => clearInterval(timer);
	}, [file, maxLines, windowBytes, maxLineLength, intervalMs]);
	return lines;
}
