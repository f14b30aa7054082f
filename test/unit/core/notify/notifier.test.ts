import {mkdtempSync, readFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import path from 'node:path';
import {describe, expect, it} from 'vitest';
import {EventLog, readEventLog} from '../../../../source/core/event-log.js';
import {NOTIFY_DEFAULT} from '../../../../source/core/notify/config.js';
import {MAX_PERSON_NEEDED, Notifier} from '../../../../source/core/notify/notifier.js';

describe('the notifier against a flood', () => {
	it('an agent refused again and again is told once per ticket and attempt, and at most MAX_PERSON_NEEDED times in all; the run end still goes out', async () => {
		const dir = mkdtempSync(path.join(tmpdir(), 'pl-notifier-'));
		const out = path.join(dir, 'notified.jsonl');
		const log = new EventLog(path.join(dir, 'events.jsonl'));
		const notifier = new Notifier({...NOTIFY_DEFAULT, command: `cat >> '${out}'`}, {runId: 'R', batch: 'b', repo: dir}, log, process.env);
		for (let attempt = 1; attempt <= 30; attempt++)
			for (let again = 0; again < 3; again++) log.append({type: 'tamper.refused', channel: 'worker', verb: 'gate', detail: 'x', ticket: 'T-1', attempt});
		log.append({type: 'run.stopped', reason: 'finished', oracleExit: 0});
		await notifier.settle();
		log.close();
		const told = readFileSync(out, 'utf8')
			.trim()
			.split('\n')
			.map(line => JSON.parse(line) as {kind: string; attempt?: number});
		expect(
			told
				.filter(n => n.kind === 'person.needed')
				.map(n => n.attempt)
				.sort((a, b) => a! - b!),
		).toEqual(Array.from({length: MAX_PERSON_NEEDED}, (_, i) => i + 1));
		expect(told.filter(n => n.kind === 'run.finished')).toHaveLength(1);
		const events = readEventLog(path.join(dir, 'events.jsonl')).events;
		expect(events.map(e => e.seq)).toEqual(events.map((_, i) => i + 1));
		expect(events.filter(e => e.type === 'warning').map(e => (e.type === 'warning' ? e.message : ''))).toEqual([
			`notify: ${MAX_PERSON_NEEDED} person.needed notifications sent; later ones are in the log only (tamper.refused)`,
		]);
	}, 60_000);
});
