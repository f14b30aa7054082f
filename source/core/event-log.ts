import {closeSync, existsSync, fdatasync, fstatSync, fsyncSync, ftruncateSync, openSync, readFileSync, truncateSync, writeSync} from 'node:fs';
import {registerIntentLog} from '../lib/intent-barrier.js';
import {EngineEvent, type NewEvent} from './events.js';

export type ReadResult = {events: EngineEvent[]; repairedTail: boolean};

/**
 * Read an event log. A torn last line (the engine was killed mid-write) is
 * dropped and reported, not fatal; a bad line anywhere else means the log was
 * tampered with or corrupted, and that is an error naming the line.
 */
export function readEventLog(file: string): ReadResult {
	if (!existsSync(file)) return {events: [], repairedTail: false};
	const text = readFileSync(file, 'utf8');
	const lines = text.split('\n');
	const endsClean = text.endsWith('\n') || text.length === 0;
	if (endsClean) lines.pop();
	const events: EngineEvent[] = [];
	let repairedTail = false;
	for (const [index, line] of lines.entries()) {
		const isLast = index === lines.length - 1;
		let parsed: unknown;
		try {
			parsed = JSON.parse(line);
		} catch {
			if (isLast && !endsClean) {
				repairedTail = true;
				break;
			}
			throw new Error(`${file}:${index + 1}: not a JSON event line\n  fix: the log is corrupt; move the run directory aside to start a new run`);
		}
		const event = EngineEvent.safeParse(parsed);
		if (!event.success) {
			if (isLast && !endsClean) {
				repairedTail = true;
				break;
			}
			throw new Error(
				`${file}:${index + 1}: not a valid event (${event.error.issues[0]?.message ?? 'unknown'})\n  fix: the log is corrupt; ` +
					`move the run directory aside to start a new run`,
			);
		}
		events.push(event.data);
	}
	return {events, repairedTail};
}

/**
 * Append-only. Each append is written at once (so a reader of the file, a
 * replay or a SIGKILL loses nothing appended) and made durable by group commit:
 * the appends of one tick, or made while an fdatasync is in flight, share one
 * fdatasync in libuv's thread pool, off the main thread. A caller about to act
 * on what it logged awaits `durable()` first: every side effect follows its
 * fsync'd intent.
 */
export class EventLog {
	private fd: number;
	private seq: number;
	private readonly listeners = new Set<(event: EngineEvent) => void>();
	/** The last seq known to be on disk. */
	#synced: number;
	#syncing = false;
	#scheduled = false;
	#closed = false;
	#failed: NodeJS.ErrnoException | undefined;
	readonly #unregister: () => void;
	#waiters: Array<{seq: number; resolve: () => void; reject: (error: Error) => void}> = [];
	/** How many fdatasyncs this log made (group commit: far fewer than appends). */
	syncs = 0;
	/**
	 * What to do when the log cannot be written (a full disk, a file size
	 * limit). The engine must not act on what it cannot record, so the run's
	 * owner ends the process here (see start-run); the default rethrows.
	 */
	onWriteError: ((error: NodeJS.ErrnoException) => never) | undefined;

	constructor(
		readonly file: string,
		readonly existing: EngineEvent[] = [],
	) {
		if (existsSync(file)) {
			// Cut a torn tail so the next line starts clean.
			const text = readFileSync(file, 'utf8');
			if (text.length > 0 && !text.endsWith('\n')) truncateSync(file, text.lastIndexOf('\n') + 1);
		}
		this.fd = openSync(file, 'a', 0o600);
		this.seq = existing.at(-1)?.seq ?? 0;
		this.#synced = this.seq;
		this.#unregister = registerIntentLog(this);
	}

	/** Write one event (not yet durable: see durable()). Throws when it cannot be written, taking back any part that landed. */
	append(event: NewEvent): EngineEvent {
		if (this.#failed) throw this.#failed;
		const full = EngineEvent.parse({...event, seq: this.seq + 1, at: new Date().toISOString()});
		const line = Buffer.from(JSON.stringify(full) + '\n', 'utf8');
		let start: number | undefined;
		try {
			// As writing a closed descriptor would (the descriptor may still be open for an fdatasync in flight).
			if (this.#closed) throw Object.assign(new Error(`${this.file} is closed`), {code: 'EBADF'});
			start = fstatSync(this.fd).size;
			// A disk that fills up mid-line makes write() return short instead of
			// failing, and writeSync does not retry: write the rest, which either
			// completes the line or fails with the real error (ENOSPC, EFBIG).
			for (let done = 0; done < line.length;) {
				const n = writeSync(this.fd, line, done, line.length - done);
				if (n <= 0) throw Object.assign(new Error(`write to ${this.file} made no progress`), {code: 'EIO'});
				done += n;
			}
		} catch (error) {
			// Take back the part of the line that landed: half an event followed
			// later by a whole one would read as a corrupt log, not a torn tail.
			if (start !== undefined) {
				try {
					ftruncateSync(this.fd, start);
				} catch {
					// Best effort; a torn last line is still repaired on the next open.
				}
			}
			if (this.onWriteError) this.onWriteError(error as NodeJS.ErrnoException);
			throw error;
		}
		this.seq = full.seq;
		this.#schedule();
		for (const listener of this.listeners) listener(full);
		return full;
	}

	/** Resolves once every event appended so far is on disk (fdatasync'd); await it before acting on them. */
	durable(): Promise<void> {
		if (this.#failed) return Promise.reject(this.#failed);
		if (this.#synced >= this.seq) return Promise.resolve();
		const seq = this.seq;
		return new Promise((resolve, reject) => {
			this.#waiters.push({seq, resolve, reject});
			this.#schedule();
		});
	}

	/** The next fdatasync after this tick's appends (or right after the one in flight). */
	#schedule(): void {
		if (this.#scheduled || this.#syncing || this.#closed) return;
		this.#scheduled = true;
		setImmediate(() => {
			this.#scheduled = false;
			this.#sync();
		});
	}

	#sync(): void {
		if (this.#syncing || this.#closed || this.#failed || this.#synced >= this.seq) return;
		const upTo = this.seq;
		this.#syncing = true;
		this.syncs++;
		fdatasync(this.fd, error => {
			this.#syncing = false;
			if (this.#closed) closeSync(this.fd);
			if (error) return this.#fail(error);
			this.#done(upTo);
			// What was appended while this one ran goes out together, at once.
			this.#sync();
		});
	}

	#done(upTo: number): void {
		this.#synced = Math.max(this.#synced, upTo);
		const ready = this.#waiters.filter(w => w.seq <= this.#synced);
		this.#waiters = this.#waiters.filter(w => w.seq > this.#synced);
		for (const waiter of ready) waiter.resolve();
	}

	#fail(error: NodeJS.ErrnoException): void {
		this.#failed = error;
		const waiting = this.#waiters;
		this.#waiters = [];
		if (this.onWriteError) this.onWriteError(error);
		for (const waiter of waiting) waiter.reject(error);
	}

	subscribe(listener: (event: EngineEvent) => void): () => void {
		this.listeners.add(listener);
		return () => this.listeners.delete(listener);
	}

	/** Make the rest durable (here, synchronously: the run is over) and close the file. */
	close(): void {
		if (this.#closed) return;
		this.#closed = true;
		this.#unregister();
		if (this.#synced < this.seq && !this.#failed) {
			fsyncSync(this.fd);
			this.syncs++;
			this.#done(this.seq);
		}
		// An fdatasync in the thread pool still holds the descriptor: it closes it when it returns.
		if (!this.#syncing) closeSync(this.fd);
	}
}
