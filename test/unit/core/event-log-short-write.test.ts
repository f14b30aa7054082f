import {mkdtempSync, readFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import path from 'node:path';
import {afterEach, describe, expect, it, vi} from 'vitest';

// A disk filling up mid-line makes write(2) return short, then fail on the
// next call (measured on a 8 KiB tmpfs and under `ulimit -f`). This file
// replays that with a writeSync that can be told to do so.
const plan = vi.hoisted(() => ({shortBy: 0, failWith: undefined as string | undefined}));
vi.mock('node:fs', async original => {
	const fs = await original<typeof import('node:fs')>();
	const writeSync = (fd: number, data: Uint8Array | string, offset = 0, length?: number): number => {
		// A string is written whole from its start (writeSync(fd, string) takes no offset or length).
		const buffer = typeof data === 'string' ? Buffer.from(data) : data;
		if (typeof data === 'string') offset = 0;
		length = typeof data === 'string' || length === undefined ? buffer.length - offset : length;
		if (plan.shortBy > 0) {
			const n = fs.writeSync(fd, buffer, offset, Math.max(1, length - plan.shortBy));
			plan.shortBy = 0;
			return n;
		}
		if (plan.failWith) throw Object.assign(new Error(`${plan.failWith}: simulated, write`), {code: plan.failWith});
		return fs.writeSync(fd, buffer, offset, length);
	};
	return {...fs, default: {...fs, writeSync}, writeSync};
});

const {EventLog, readEventLog} = await import('../../../source/core/event-log.js');
const file = () => path.join(mkdtempSync(path.join(tmpdir(), 'pl-log-')), 'events.jsonl');

afterEach(() => {
	plan.shortBy = 0;
	plan.failWith = undefined;
});

describe('event log on a disk that fills up mid-line', () => {
	it('finishes a short write instead of leaving half an event that a later line would turn into corruption', () => {
		const f = file();
		const log = new EventLog(f);
		log.append({type: 'warning', message: 'one'});
		plan.shortBy = 10;
		log.append({type: 'warning', message: 'two'});
		log.append({type: 'warning', message: 'three'});
		log.close();
		expect(readEventLog(f).events.map(e => e.type === 'warning' && e.message)).toEqual(['one', 'two', 'three']);
	});

	it('a short write followed by ENOSPC takes the partial line back, says so to its owner, and the log reads clean and goes on once there is room', () => {
		const f = file();
		const log = new EventLog(f);
		log.append({type: 'warning', message: 'one'});
		const seen: string[] = [];
		log.onWriteError = error => {
			seen.push(String(error.code));
			throw error;
		};
		plan.shortBy = 10;
		plan.failWith = 'ENOSPC';
		expect(() => log.append({type: 'warning', message: 'two'})).toThrow(/ENOSPC/);
		expect(seen).toEqual(['ENOSPC']);
		// Nothing of the failed event is left: not even a torn tail to repair.
		expect(readFileSync(f, 'utf8').endsWith('"one"}\n')).toBe(true);
		expect(readEventLog(f)).toMatchObject({repairedTail: false, events: [{seq: 1}]});
		// Room again: the next event is numbered after the last one recorded, and every line parses.
		plan.failWith = undefined;
		log.append({type: 'warning', message: 'three'});
		log.close();
		expect(readEventLog(f).events.map(e => [e.seq, e.type === 'warning' && e.message])).toEqual([
			[1, 'one'],
			[2, 'three'],
		]);
	});
});
