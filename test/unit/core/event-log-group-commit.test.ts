import {mkdtempSync, readFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import path from 'node:path';
import {describe, expect, it} from 'vitest';
import {EventLog, readEventLog} from '../../../source/core/event-log.js';

const file = () => path.join(mkdtempSync(path.join(tmpdir(), 'pl-group-')), 'events.jsonl');

describe('event log group commit', () => {
	it('appends of one tick share one fdatasync; every append is in the file at once', async () => {
		const f = file();
		const log = new EventLog(f);
		for (let i = 0; i < 200; i++) log.append({type: 'warning', message: `w${i}`});
		// Written before any sync: a reader (attach, status) and a SIGKILL see every line.
		expect(readEventLog(f).events).toHaveLength(200);
		expect(log.syncs).toBe(0);
		await log.durable();
		expect(log.syncs).toBe(1);
		log.close();
	});

	it('appends made while an fdatasync is in flight go out together in the next one', async () => {
		const log = new EventLog(file());
		log.append({type: 'warning', message: 'first'});
		const first = log.durable();
		// Let the first fdatasync start, then append a burst while it runs.
		await new Promise(resolve => setImmediate(resolve));
		for (let i = 0; i < 100; i++) log.append({type: 'warning', message: `while ${i}`});
		const all = log.durable();
		await Promise.all([first, all]);
		expect(log.syncs).toBeLessThanOrEqual(2);
		log.close();
	});

	it('durable() waits for what was appended before it, not for what comes after', async () => {
		const log = new EventLog(file());
		const order: string[] = [];
		log.append({type: 'warning', message: 'intent'});
		const durable = log.durable().then(() => order.push('durable'));
		order.push('appended');
		await durable;
		// Nothing pending: resolves without another sync.
		const syncs = log.syncs;
		await log.durable();
		expect(log.syncs).toBe(syncs);
		expect(order).toEqual(['appended', 'durable']);
		log.close();
	});

	it('close() makes the rest durable, and an append after it fails as on a closed file', () => {
		const f = file();
		const log = new EventLog(f);
		log.append({type: 'warning', message: 'last words'});
		log.close();
		expect(log.syncs).toBe(1);
		expect(readFileSync(f, 'utf8')).toMatch(/last words/);
		expect(() => log.append({type: 'warning', message: 'too late'})).toThrow(/closed/);
	});
});
