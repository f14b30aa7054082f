// The live judge runs the real pinned oracle (a process) on a real repository: its verdicts are never back to back.
import {mkdirSync, writeFileSync} from 'node:fs';
import {setTimeout as sleep} from 'node:timers/promises';
import {describe, expect, it} from 'vitest';
import {EventLog, readEventLog} from '../../../source/core/event-log.js';
import {OracleJudge} from '../../../source/core/live-judge.js';
import {readPinnedOracle} from '../../../source/core/pinned-oracle.js';
import {runDir, type Manifest} from '../../../source/core/run-dir.js';
import {makeRepo} from '../../helpers/repo.js';

function judgeOn(pace: {gapMs: number; costFactor: number; settleMs: number}) {
	const {root} = makeRepo({tickets: [{id: 'T-1'}, {id: 'T-2', status: 'done'}]});
	const run = runDir(root, 'r1');
	mkdirSync(run.dir, {recursive: true});
	const oracle = readPinnedOracle();
	if (!oracle.ok) throw new Error(oracle.message);
	const manifest: Manifest = {
		run_id: 'r1',
		batch: 'b',
		base_branch: 'main',
		base_commit: '0'.repeat(40),
		ticket_ids: ['T-1', 'T-2'],
		oracle_sha256: oracle.sha256,
		config_sha256: '',
		created_at: new Date(0).toISOString(),
		proofloop_version: 'test',
	};
	writeFileSync(run.manifestFile, JSON.stringify(manifest));
	const log = new EventLog(run.eventsFile);
	const judge = new OracleJudge(
		{log, repoRoot: root, run, manifest},
		() => false,
		() => undefined,
		pace,
	);
	const verdicts = () =>
		readEventLog(run.eventsFile).events.flatMap(e => (e.type === 'oracle.verdict' ? [{end: Date.parse(e.at), ms: e.ms ?? NaN, final: e.final}] : []));
	return {judge, verdicts};
}

describe('live oracle verdicts', {timeout: 60_000}, () => {
	it('rest in proportion to what each verdict took, however often a settlement asks', async () => {
		// No fixed gap: only the cost rule keeps the verdicts apart.
		const {judge, verdicts} = judgeOn({gapMs: 0, costFactor: 3, settleMs: 0});
		const until = Date.now() + 3000;
		while (Date.now() < until) {
			judge.schedule();
			await sleep(5);
		}
		await judge.settled();
		judge.close();
		const live = verdicts();
		expect(live.length).toBeGreaterThanOrEqual(2);
		for (const [i, v] of live.entries()) {
			expect(v.final).toBe(false);
			expect(v.ms).toBeGreaterThan(0);
			if (i === 0) continue;
			const prev = live[i - 1]!;
			// This one began (its end less what it took) at least 3 times the last one's cost after that one ended.
			const idle = v.end - v.ms - prev.end;
			expect(idle, `verdict ${i} began ${idle} ms after one that took ${prev.ms} ms`).toBeGreaterThanOrEqual(3 * prev.ms - 5);
		}
	});

	it('wait out the rest after the last verdict, and settled() drops one still waiting (its caller judges next)', async () => {
		const {judge, verdicts} = judgeOn({gapMs: 60_000, costFactor: 3, settleMs: 0});
		judge.schedule();
		while (verdicts().length === 0) await sleep(20);
		// A change after the first verdict: the next one must wait a minute from that verdict's start.
		judge.schedule();
		await sleep(300);
		expect(verdicts()).toHaveLength(1);
		const began = Date.now();
		await judge.settled();
		judge.close();
		expect(Date.now() - began).toBeLessThan(30_000);
		expect(verdicts()).toHaveLength(1);
	});

	it('close() (the run winding down) drops a verdict still waiting: no verdict after it', async () => {
		const {judge, verdicts} = judgeOn({gapMs: 60_000, costFactor: 3, settleMs: 0});
		judge.schedule();
		while (verdicts().length === 0) await sleep(20);
		judge.schedule();
		judge.close();
		await sleep(3000);
		await judge.settled();
		expect(verdicts()).toHaveLength(1);
	});
});
