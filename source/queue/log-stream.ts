/**
 * An attempt's agent output, from the worker's log file to the coordinator's:
 * the worker appends whole lines to a capped Redis stream per attempt, the
 * coordinator reads it from the start into the attempt's log in the run
 * directory (what a pane and `proofloop tail` read). Read from the start, the
 * stream loses nothing when the coordinator restarts mid-attempt; a mark beside
 * the log (<log>.stream) keeps a restarted one from appending a line twice.
 */
import {appendFileSync, closeSync, openSync, readFileSync, readSync, statSync, writeFileSync} from 'node:fs';
import type {Redis} from 'ioredis';

/** Entries kept per attempt (each up to CHUNK bytes): a runaway agent's output cannot fill Redis. */
const MAX_ENTRIES = 4000;
const CHUNK = 64 * 1024;
const POLL_MS = 200;
const KEEP_SECONDS = 24 * 3600;

type Entry = {kind: 'lines'; text: string} | {kind: 'host'; host: string} | {kind: 'refused'; message: string} | {kind: 'end'};

async function add(redis: Redis, key: string, field: string, value: string): Promise<void> {
	await redis.xadd(key, 'MAXLEN', '~', String(MAX_ENTRIES), '*', field, value);
	await redis.expire(key, KEEP_SECONDS);
}

export const sayHost = (redis: Redis, key: string, host: string): Promise<void> => add(redis, key, 'host', host);
export const sayRefused = (redis: Redis, key: string, message: string): Promise<void> => add(redis, key, 'refused', message);

/** The worker's side: follows a growing log file, sending whole lines; `end()` sends the rest and the end mark. */
export function publishLog(redis: Redis, key: string, file: string): {end: () => Promise<void>} {
	let offset = 0;
	let carry = '';
	let busy: Promise<void> = Promise.resolve();
	const pump = async (final: boolean) => {
		let size: number;
		try {
			size = statSync(file).size;
		} catch {
			return;
		}
		while (offset < size) {
			const length = Math.min(CHUNK, size - offset);
			const buffer = Buffer.alloc(length);
			const fd = openSync(file, 'r');
			try {
				readSync(fd, buffer, 0, length, offset);
			} finally {
				closeSync(fd);
			}
			offset += length;
			const text = carry + buffer.toString('utf8');
			const cut = text.lastIndexOf('\n') + 1;
			carry = text.slice(cut);
			if (cut > 0) await add(redis, key, 'd', text.slice(0, cut));
		}
		if (final && carry) {
			await add(redis, key, 'd', carry);
			carry = '';
		}
	};
	const timer = setInterval(() => {
		busy = busy.then(() => pump(false)).catch(() => {});
	}, POLL_MS);
	return {
		end: async () => {
			clearInterval(timer);
			await busy;
			await pump(true);
			await add(redis, key, 'end', '1');
		},
	};
}

function readMark(mark: string): string | undefined {
	try {
		return readFileSync(mark, 'utf8').trim() || undefined;
	} catch {
		return undefined;
	}
}

/** Whether stream id `a` ("ms-seq") comes after `b`. */
function after(a: string, b: string): boolean {
	const [am = 0, as = 0] = a.split('-').map(Number);
	const [bm = 0, bs = 0] = b.split('-').map(Number);
	return am !== bm ? am > bm : as > bs;
}

function parse(fields: string[]): Entry | undefined {
	const [field, value = ''] = fields;
	if (field === 'd') return {kind: 'lines', text: value};
	if (field === 'host') return {kind: 'host', host: value};
	if (field === 'refused') return {kind: 'refused', message: value};
	if (field === 'end') return {kind: 'end'};
	return undefined;
}

/**
 * The coordinator's side: appends the stream's lines to `file` as they come,
 * telling `onHost`/`onRefused` what a worker said. `finish()` waits for the
 * end mark (at most `graceMs`): the log is complete before the finish line reads it.
 */
export function followLog(
	redis: Redis,
	key: string,
	file: string,
	on: {host: (host: string) => void; refused: (message: string) => void; lines: () => void},
): {finish: (graceMs?: number) => Promise<void>} {
	let last = '0';
	let ended = false;
	let stopped = false;
	// The last entry already in `file` (an engine before this one read it): its lines are not appended twice.
	const mark = `${file}.stream`;
	const copied = readMark(mark);
	const read = async () => {
		const answer = await redis.xread('COUNT', 200, 'STREAMS', key, last);
		for (const [, entries] of answer ?? []) {
			for (const [id, fields] of entries) {
				last = id;
				const entry = parse(fields);
				if (entry?.kind === 'lines' && !(copied && !after(id, copied))) {
					appendFileSync(file, entry.text);
					writeFileSync(mark, id);
					on.lines();
				}
				if (entry?.kind === 'host') on.host(entry.host);
				if (entry?.kind === 'refused') on.refused(entry.message);
				// A stalled job runs again on another worker: its lines follow, so only the last end counts (finish waits for one).
				if (entry?.kind === 'end') ended = true;
			}
		}
	};
	const loop = (async () => {
		while (!stopped) {
			try {
				await read();
			} catch {
				// Redis away for a moment: the next read catches up from `last`.
			}
			await new Promise(resolve => setTimeout(resolve, POLL_MS));
		}
		await read().catch(() => {});
	})();
	return {
		finish: async (graceMs = 5000) => {
			const until = Date.now() + graceMs;
			while (!ended && Date.now() < until) await new Promise(resolve => setTimeout(resolve, POLL_MS));
			stopped = true;
			await loop;
		},
	};
}
