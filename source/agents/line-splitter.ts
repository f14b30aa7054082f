/**
 * Turns a byte stream into lines. Works on bytes, not strings, so a multi-byte
 * UTF-8 character split across two chunks is decoded whole. A line longer than
 * `maxBytes` is dropped (the raw log still has it): a garbage stream with no
 * newline must not grow the engine's memory without bound, and a truncated
 * JSON line would mean nothing to a parser anyway.
 */
export class LineSplitter {
	private parts: Buffer[] = [];
	private size = 0;
	/** True while skipping the rest of an over-long line. */
	private overflowing = false;
	/** How many over-long lines were dropped. */
	dropped = 0;

	constructor(
		private readonly onLine: (line: string) => void,
		private readonly maxBytes = 1024 * 1024,
	) {}

	push(chunk: Buffer): void {
		let start = 0;
		for (;;) {
			const newline = chunk.indexOf(0x0a, start);
			if (newline === -1) {
				this.keep(chunk.subarray(start));
				return;
			}
			this.keep(chunk.subarray(start, newline));
			this.emit();
			start = newline + 1;
		}
	}

	/** The stream ended: a last line without a newline is still a line. */
	end(): void {
		if (this.size > 0 || this.overflowing) this.emit();
	}

	private keep(piece: Buffer): void {
		if (piece.length === 0 || this.overflowing) return;
		if (this.size + piece.length > this.maxBytes) {
			this.overflowing = true;
			this.parts = [];
			this.size = 0;
			return;
		}
		this.parts.push(piece);
		this.size += piece.length;
	}

	private emit(): void {
		if (this.overflowing) {
			this.overflowing = false;
			this.dropped++;
			return;
		}
		let line = Buffer.concat(this.parts, this.size).toString('utf8');
		this.parts = [];
		this.size = 0;
		if (line.endsWith('\r')) line = line.slice(0, -1);
		this.onLine(line);
	}
}
