import {mkdtempSync, writeFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import path from 'node:path';
import {render} from 'ink-testing-library';
import {describe, expect, it} from 'vitest';
import type {EngineEvent} from '../../../source/core/events.js';
import {summaryLines} from '../../../source/ui/run-summary.js';
import {closeHint, RunSummary} from '../../../source/ui/RunSummary.js';
import {fixtureEvents, fold, settle, stamp} from './helpers.js';

/** The fixture run, ended stuck: T-7's attempt cost $0.42 (claude), T-1's (codex) and the demo's reported none; a guard refusal, a tamper, a gate. */
function endedRun(): EngineEvent[] {
	const events = fixtureEvents();
	return [
		...events,
		...stamp(
			[
				{type: 'attempt.started', ticket: 'T-7', attempt: 1, maxAttempts: 3, agent: 'claude', worktree: '/tmp/wt/T-7'},
				{
					type: 'agent.exited',
					ticket: 'T-7',
					attempt: 1,
					ok: true,
					reason: 'ok',
					durationMs: 5000,
					usage: {inputTokens: 1000, outputTokens: 200, costUsd: 0.42},
				},
				{type: 'agent.exited', ticket: 'T-1', attempt: 1, ok: true, reason: 'ok', durationMs: 5000, usage: {inputTokens: 900, outputTokens: 100, costUsd: 0}},
				{type: 'guard.result', ticket: 'T-1', attempt: 1, ok: false, reason: 'touches a protected path: oracle/oracle.mjs\nmore', files: ['oracle/oracle.mjs']},
				{type: 'attempt.failed', ticket: 'T-1', attempt: 1, stage: 'guard', reason: 'guard refused'},
				{type: 'tamper.refused', channel: 'worker', verb: 'gate', detail: 'a human verb on a worker channel', ticket: 'T-2', attempt: 2},
				{type: 'intervention', kind: 'gate', by: 'ana@laptop', ticket: 'T-8', reason: 'legal must sign'},
				{
					type: 'oracle.verdict',
					exit: 1,
					verdict: 'not_done',
					summary: '2/9 tickets done or human-gated',
					final: true,
					holding: [{id: 'T-9', status: 'failed', reason: 'out of attempts'}],
				},
				{type: 'run.stopped', reason: 'stuck', oracleExit: 1},
			],
			events.length + 1,
		),
	].map(e => (e.type === 'attempt.started' && e.ticket === 'T-1' ? {...e, agent: 'codex'} : e));
}

describe('the end-of-run summary', () => {
	it('shows the verdict, a per-ticket table with attempts, time and cost (n/a where the agent reported none), what the finish line caught, interventions and the stop report, until a key', async () => {
		const dir = mkdtempSync(path.join(tmpdir(), 'pl-summary-'));
		writeFileSync(path.join(dir, 'stop-report.md'), '# why\n');
		const events = endedRun();
		const lines = summaryLines(fold(events), events, dir);
		let closed = 0;
		const {lastFrame, stdin, unmount} = render(<RunSummary lines={lines} onClose={() => closed++} noColor />);
		const frame = lastFrame() ?? '';
		expect(frame).toMatch(/RUN STUCK · oracle exit 1 \(not_done\): 2\/9 tickets done or human-gated/);
		expect(frame).toMatch(/held back by T-9 \(failed\): out of attempts/);
		expect(frame).toMatch(/\$0\.42 \+ n\/a \(codex\)/);
		expect(frame).toMatch(/ticket\s+status\s+attempts\s+time\s+cost\s+title/);
		expect(frame).toMatch(/T-9\s+failed\s+3\s+00:0\d\s+n\/a\s+Migrate the metrics database/);
		expect(frame).toMatch(/T-3\s+todo\s+0\s+-\s+-\s+Add the latency dashboard/);
		expect(frame).toMatch(/T-7\s+done\s+0\s+-\s+\$0\.42\s+Write the runbook/);
		expect(frame).toMatch(/T-1\s+in_progress\s+\d\s+\S+\s+n\/a\s+Export job metrics/);
		expect(frame).toMatch(/the finish line caught: guard 1, checks 3 · tamper attempts refused: 1/);
		expect(frame).toMatch(/guard refused T-1 attempt 1: touches a protected path: oracle\/oracle\.mjs$/m);
		expect(frame).toMatch(/tamper refused: gate on the worker channel \(T-2 attempt 2\)/);
		expect(frame).toMatch(/interventions: 1 \(gate 1\)/);
		expect(frame).toMatch(/gate T-8 by ana@laptop: legal must sign/);
		expect(frame).toContain(`stop report: ${path.join(dir, 'stop-report.md')}`);
		expect(frame).toContain(closeHint);
		await settle();
		expect(closed).toBe(0);
		stdin.write('x');
		await settle();
		expect(closed).toBe(1);
		unmount();
	});

	it('a summary longer than the screen keeps the verdict and the table and says what it cut', () => {
		const events = endedRun();
		const lines = summaryLines(fold(events), events, '/nonexistent');
		const many = [...lines, ...Array.from({length: 200}, (_, i) => ({text: `extra ${i}`}))];
		const {lastFrame, unmount} = render(<RunSummary lines={many} onClose={() => {}} noColor />);
		const frame = lastFrame() ?? '';
		expect(frame).toMatch(/^RUN STUCK/);
		expect(frame).toMatch(/… \d+ more lines: proofloop report/);
		expect(frame).not.toMatch(/extra 199/);
		unmount();
	});
});
