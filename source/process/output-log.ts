import {createWriteStream, type WriteStream} from 'node:fs';
import type {Readable} from 'node:stream';
import {finished} from 'node:stream/promises';

/** What a capped log keeps of the end of the output (where the result usually is). */
export const LOG_TAIL_BYTES = 1024 * 1024;
export const DEFAULT_MAX_LOG_BYTES = 64 * 1024 * 1024;

/** The last `max` bytes of a stream, in a bounded number of buffers. */
class Tail {
	private chunks: Buffer[] = [];
	private size = 0;
	/** Bytes that went past the cap, kept or not. */
	seen = 0;

	constructor(private readonly max: number) {}

	push(chunk: Buffer): void {
		this.seen += chunk.length;
		const piece = chunk.length > this.max ? chunk.subarray(chunk.length - this.max) : chunk;
		// Copied: the stream may reuse its buffer.
		this.chunks.push(Buffer.from(piece));
		this.size += piece.length;
		while (this.size - (this.chunks[0]?.length ?? 0) >= this.max) this.size -= this.chunks.shift()!.length;
	}

	bytes(): Buffer {
		const all = Buffer.concat(this.chunks);
		return all.subarray(Math.max(0, all.length - this.max));
	}
}

/**
 * A child's output appended to its log in arrival order (what a pane tails).
 * Past `maxBytes` only the last LOG_TAIL_BYTES are kept, with a line saying
 * how much was left out: a process printing a gigabyte must not fill the disk.
 * If the disk falls behind, the child's pipes are paused instead of buffered.
 */
export class OutputLog {
	private readonly log: WriteStream;
	private readonly tail = new Tail(LOG_TAIL_BYTES);
	private readonly paused = new Set<Readable>();
	private logged = 0;
	/** The first failed write (a full disk, say); the log is given up after it. */
	error: Error | undefined;

	constructor(
		readonly file: string,
		private readonly maxBytes = DEFAULT_MAX_LOG_BYTES,
	) {
		this.log = createWriteStream(file, {flags: 'a'});
		this.log.on('drain', () => this.resumeAll());
		// A failed log must release the pipes too, or the child would block on a full pipe until its timeout.
		this.log.on('error', error => {
			this.error ??= error;
			this.resumeAll();
		});
	}

	/** Log everything `stream` says; `onChunk` sees every chunk, logged or not. */
	pipe(stream: Readable | null | undefined, onChunk?: (chunk: Buffer) => void): void {
		stream?.on('data', (data: Buffer | string) => {
			const chunk = typeof data === 'string' ? Buffer.from(data) : data;
			const room = Math.max(0, this.maxBytes - this.logged);
			const head = room >= chunk.length ? chunk : chunk.subarray(0, room);
			if (head.length < chunk.length) this.tail.push(chunk.subarray(head.length));
			this.logged += head.length;
			if (head.length > 0 && !this.error && !this.log.write(head) && !this.error) {
				stream.pause();
				this.paused.add(stream);
			}
			onChunk?.(chunk);
		});
	}

	/** Writes the kept tail, if any, and resolves once the log is flushed; returns the first write error. */
	async close(): Promise<Error | undefined> {
		if (this.tail.seen > 0 && !this.error) {
			const kept = this.tail.bytes();
			this.log.write(
				`\n[proofloop: the output passed ${this.maxBytes} bytes; ${this.tail.seen - kept.length} bytes left out, the last ${kept.length} follow]\n`,
			);
			this.log.write(kept);
		}
		if (this.error) this.log.destroy();
		else this.log.end();
		// An error is recorded by the listener above.
		await finished(this.log).catch(() => {});
		return this.error;
	}

	private resumeAll(): void {
		for (const stream of this.paused) stream.resume();
		this.paused.clear();
	}
}
