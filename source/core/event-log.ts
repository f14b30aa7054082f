import {closeSync, existsSync, fstatSync, fsyncSync, ftruncateSync, openSync, readFileSync, truncateSync, writeSync} from 'node:fs';
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

/** Append-only, fsync'd before the caller acts on what it records. */
export class EventLog {
	private fd: number;
	private seq: number;
	private readonly listeners = new Set<(event: EngineEvent) => void>();
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
	}

	append(event: NewEvent): EngineEvent {
		const full = EngineEvent.parse({...event, seq: this.seq + 1, at: new Date().toISOString()});
		const line = Buffer.from(JSON.stringify(full) + '\n', 'utf8');
		let start: number | undefined;
		try {
			start = fstatSync(this.fd).size;
			// A disk that fills up mid-line makes write() return short instead of
			// failing, and writeSync does not retry: write the rest, which either
			// completes the line or fails with the real error (ENOSPC, EFBIG).
			for (let done = 0; done < line.length;) {
				const n = writeSync(this.fd, line, done, line.length - done);
				if (n <= 0) throw Object.assign(new Error(`write to ${this.file} made no progress`), {code: 'EIO'});
				done += n;
			}
			fsyncSync(this.fd);
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
		for (const listener of this.listeners) listener(full);
		return full;
	}

	subscribe(listener: (event: EngineEvent) => void): () => void {
		this.listeners.add(listener);
		return () => this.listeners.delete(listener);
	}

	close(): void {
		closeSync(this.fd);
	}
}
