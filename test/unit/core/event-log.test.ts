import {appendFileSync, mkdtempSync, readFileSync, writeFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import path from 'node:path';
import {describe, expect, it} from 'vitest';
import {EventLog, readEventLog} from '../../../source/core/event-log.js';

const file = () => path.join(mkdtempSync(path.join(tmpdir(), 'pl-log-')), 'events.jsonl');

describe('event log', () => {
	it('appends numbered, validated events and reads them back', () => {
		const f = file();
		const log = new EventLog(f);
		log.append({type: 'run.resumed', pid: 1});
		log.append({type: 'warning', message: 'hello'});
		log.close();
		const {events, repairedTail} = readEventLog(f);
		expect(events.map(e => [e.seq, e.type])).toEqual([
			[1, 'run.resumed'],
			[2, 'warning'],
		]);
		expect(repairedTail).toBe(false);
	});

	it('refuses an event that does not match its schema, writing nothing', () => {
		const f = file();
		const log = new EventLog(f);
		expect(() => log.append({type: 'warning'} as never)).toThrow();
		log.close();
		expect(readFileSync(f, 'utf8')).toBe('');
	});

	it('drops a torn last line (a crash mid-write) and continues numbering after it', () => {
		const f = file();
		const log = new EventLog(f);
		log.append({type: 'run.resumed', pid: 1});
		log.close();
		appendFileSync(f, '{"seq":2,"at":"x","type":"merge.intent","tick');
		const read = readEventLog(f);
		expect(read.repairedTail).toBe(true);
		expect(read.events).toHaveLength(1);
		const again = new EventLog(f, read.events);
		again.append({type: 'warning', message: 'after repair'});
		again.close();
		expect(readEventLog(f).events.map(e => e.seq)).toEqual([1, 2]);
	});

	it('treats a bad line in the middle as corruption, naming the line', () => {
		const f = file();
		writeFileSync(f, 'garbage\n{"seq":1}\n');
		expect(() => readEventLog(f)).toThrow(/events.jsonl:1/);
	});
});
