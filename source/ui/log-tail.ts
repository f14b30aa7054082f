import {closeSync, fstatSync, openSync, readSync, statSync} from 'node:fs';
import {cleanLine} from './text.js';

// The tail of a growing log file in a bounded buffer. A pane must stay cheap
// however fast its worker prints and however long the run:
// - a poll reads back from the end of the file only until it holds maxLines
//   lines (older ones could not be shown), and never more than WINDOW bytes
//   (more than that between two polls is skipped, and says so);
// - each kept line is decoded on its own (it pins no larger chunk), formatted
//   and cleaned once, when it arrives, never again per frame;
// - the buffer holds at most 2 x maxLines lines of at most maxLineLength
//   characters, and the line still being written at most 8 x maxLineLength bytes.

export const DEFAULT_MAX_LINES = 200;
export const DEFAULT_WINDOW_BYTES = 64 * 1024;
const MAX_LINE_LENGTH = 1000;
/** The first look back from the end of the file (a flood rarely needs more to fill a pane). */
const FIRST_CHUNK_BYTES = 8 * 1024;
const NEWLINE = 0x0a;
const NO_LINES: readonly string[] = Object.freeze([]);

export type LogTailOptions = {
	maxLines?: number;
	windowBytes?: number;
	maxLineLength?: number;
	/** One raw line to the lines shown for it (none for noise); cleaned afterwards. Default: the line itself. */
	format?: (line: string) => readonly string[];
};

export class LogTail {
	private readonly maxLines: number;
	private readonly windowBytes: number;
	private readonly maxLineLength: number;
	private readonly format: ((line: string) => readonly string[]) | undefined;
	/** Shown lines of complete raw lines, oldest first; trimmed back to maxLines when it grows past twice that. */
	private complete: string[] = [];
	/** Bytes after the last newline (a line still being written). */
	private pending: Buffer = Buffer.alloc(0);
	/** Skip everything up to the first newline (we started reading mid-line). */
	private dropUntilNewline = false;
	private offset = 0;
	private inode: number | undefined;
	private snapshot: readonly string[] = NO_LINES;
	/** Bytes read from disk so far (tests and benchmarks look at it). */
	bytesRead = 0;

	constructor(
		readonly file: string,
		options: LogTailOptions = {},
	) {
		this.maxLines = Math.max(1, options.maxLines ?? DEFAULT_MAX_LINES);
		this.windowBytes = Math.max(1024, options.windowBytes ?? DEFAULT_WINDOW_BYTES);
		this.maxLineLength = options.maxLineLength ?? MAX_LINE_LENGTH;
		this.format = options.format;
	}

	/** The last maxLines lines (the line being written counts as the last one). The same array until something changes. */
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
			this.pending = Buffer.alloc(0);
			this.dropUntilNewline = true;
		}
		const read = this.readBack(from, size, inode);
		if (!read) return false;
		this.offset = size;
		let data = read.data;
		if (read.start > from) {
			// Stopped short of `from`: at least maxLines newer lines follow, so nothing older can be shown.
			this.complete = [];
			this.pending = Buffer.alloc(0);
			this.dropUntilNewline = true;
		} else if (!this.dropUntilNewline && this.pending.length > 0) {
			data = Buffer.concat([this.pending, data]);
		}
		this.append(data);
		return true;
	}

	/** The bytes [from, size) that can still be shown: read back from the end in growing chunks until they hold maxLines lines. */
	private readBack(from: number, size: number, inode: number): {data: Buffer; start: number} | undefined {
		const fd = openSync(this.file, 'r');
		try {
			// The file may have been swapped between stat and open: trust the descriptor.
			if (fstatSync(fd).ino !== inode) return undefined;
			const chunks: Buffer[] = [];
			let start = size;
			let newlines = 0;
			let chunk = FIRST_CHUNK_BYTES;
			while (start > from && newlines <= this.maxLines) {
				const length = Math.min(chunk, start - from);
				const buffer = Buffer.allocUnsafe(length);
				let got = 0;
				while (got < length) {
					const n = readSync(fd, buffer, got, length - got, start - length + got);
					if (n === 0) break;
					got += n;
				}
				this.bytesRead += got;
				if (got < length) return undefined; // truncated under us: the next poll starts over
				start -= length;
				chunks.unshift(buffer);
				for (let at = buffer.indexOf(NEWLINE); at >= 0 && newlines <= this.maxLines; at = buffer.indexOf(NEWLINE, at + 1)) newlines++;
				chunk *= 2;
			}
			return {data: chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks), start};
		} finally {
			closeSync(fd);
		}
	}

	private reset(inode: number | undefined): boolean {
		const hadLines = this.snapshot.length > 0;
		this.complete = [];
		this.pending = Buffer.alloc(0);
		this.dropUntilNewline = false;
		this.offset = 0;
		this.inode = inode;
		this.snapshot = NO_LINES;
		return hadLines;
	}

	/** Lines shown for one raw line: formatted, then each cleaned and capped. */
	private shown(raw: string): string[] {
		const formatted = this.format ? this.format(raw) : [raw];
		return formatted.map(line => cleanLine(line, this.maxLineLength));
	}

	private append(data: Buffer): void {
		let start = 0;
		if (this.dropUntilNewline) {
			const newline = data.indexOf(NEWLINE);
			if (newline < 0) return;
			this.dropUntilNewline = false;
			start = newline + 1;
		}
		const last = data.lastIndexOf(NEWLINE);
		if (last >= start) {
			// Only the newest maxLines complete lines can be shown: find where they begin, decode and format just those.
			let first = start;
			for (let at = last, seen = 0; at > start;) {
				const previous = data.lastIndexOf(NEWLINE, at - 1);
				if (previous < start) break;
				if (++seen === this.maxLines) {
					first = previous + 1;
					break;
				}
				at = previous;
			}
			for (let lineStart = first; lineStart <= last;) {
				const end = data.indexOf(NEWLINE, lineStart);
				for (const line of this.shown(data.toString('utf8', lineStart, end))) this.complete.push(line);
				lineStart = end + 1;
			}
			start = last + 1;
		}
		// Copied: a subarray would keep the whole read alive.
		this.pending = Buffer.from(data.subarray(start));
		// A line with no end in sight stays bounded too (keep its newest part: a \r progress bar redraws at the end).
		if (this.pending.length > this.maxLineLength * 8) this.pending = utf8Tail(this.pending, this.maxLineLength * 4);
		if (this.complete.length > this.maxLines * 2) this.complete = this.complete.slice(-this.maxLines);
		const pending = this.pending.length > 0 ? this.shown(this.pending.toString('utf8')) : [];
		this.snapshot = pending.length > 0 ? [...this.complete.slice(-this.maxLines), ...pending].slice(-this.maxLines) : this.complete.slice(-this.maxLines);
	}
}

/** The last `bytes` bytes of `buffer`, starting on a character boundary (never inside a UTF-8 sequence). */
function utf8Tail(buffer: Buffer, bytes: number): Buffer {
	let start = buffer.length - bytes;
	while (start < buffer.length && (buffer[start]! & 0xc0) === 0x80) start++;
	return Buffer.from(buffer.subarray(start));
}
