import {mkdirSync, mkdtempSync, readFileSync, writeFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import path from 'node:path';
import {describe, expect, it} from 'vitest';
import {EventLog} from '../../../source/core/event-log.js';
import {TicketWriter} from '../../../source/core/ticket-writer.js';
import {FileTracker} from '../../../source/tracker/files.js';

const DIR = '.proofloop/tickets';

describe("the run's ticket writer", () => {
	it('says no TAMPER when an attempt starts while the file write of the last one is under way (a plain failed attempt)', async () => {
		const root = mkdtempSync(path.join(tmpdir(), 'pl-writer-race-'));
		mkdirSync(path.join(root, DIR), {recursive: true});
		writeFileSync(path.join(root, DIR, 'A.md'), '---\nid: A\ntitle: A\nstatus: todo\nbatch: b\n---\nWork.\n');
		const tracker = new FileTracker({repoRoot: root, dir: DIR});
		const log = new EventLog(path.join(root, 'events.jsonl'));
		const writer = new TicketWriter(log, tracker, await tracker.load());
		await writer.write('A', 'in_progress', {status: 'in_progress', attempts: 1});
		await writer.onDisk('A');
		// The failure's file write takes its fields and waits for the log; attempt 2 is logged meanwhile.
		const failed = writer.write('A', 'todo', {status: 'todo', failure: 'attempt 1 (checks): exit 1'});
		await new Promise(resolve => setImmediate(resolve));
		const next = writer.write('A', 'in_progress', {status: 'in_progress', attempts: 2});
		await Promise.all([failed, next]);
		await writer.settled();
		await log.durable();
		const warnings = readFileSync(log.file, 'utf8')
			.trim()
			.split('\n')
			.map(line => JSON.parse(line) as {type: string; message?: string})
			.filter(e => e.type === 'warning');
		expect(warnings).toEqual([]);
		expect(readFileSync(path.join(root, DIR, 'A.md'), 'utf8')).toMatch(/^attempts: 2$/m);
	});
});
