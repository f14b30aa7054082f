import {existsSync, readFileSync, readdirSync} from 'node:fs';
import path from 'node:path';
import {execa} from 'execa';
import {describe, expect, it} from 'vitest';
import {listRuns} from '../../source/core/run-dir.js';
import {CLI, makeRepo, runCli, runEvents} from '../helpers/repo.js';

const records = (file: string): Array<{ticket: string; attempt: number; inherited?: string}> =>
	existsSync(file)
		? readFileSync(file, 'utf8')
				.trim()
				.split('\n')
				.map(line => JSON.parse(line))
		: [];

describe('fresh attempts, retry and reset', () => {
	it('a failed ticket retried with no engine starts attempt 2 on a fresh branch, pointed at attempt 1’s saved diff; reset drops the branch; both are interventions in the report', async () => {
		const {root, plan, io} = makeRepo({
			tickets: [{id: 'A'}, {id: 'B'}],
			config: {attempts: 1, selfHeal: {max: 0}},
			plan: {A: 'fail-once-committed', B: 'fail-once-committed', _sleepMs: 0},
		});
		const out = path.join(io, 'out.jsonl');
		const env = {FAKE_AGENT_PLAN: plan, FAKE_AGENT_OUT: out};
		const first = await runCli(root, ['run', '--headless'], env);
		expect(first.exitCode, first.stdout + first.stderr).toBe(1);
		const git = async (...args: string[]) => (await execa('git', args, {cwd: root})).stdout.trim();
		expect(await git('log', '--format=%s', 'main..proofloop/A')).toBe('A: attempt 1 work');

		// Bad input changes nothing: a done-less reason, an unknown ticket.
		expect((await runCli(root, ['retry', 'A'])).exitCode).not.toBe(0);
		expect((await runCli(root, ['retry', 'Z', '--reason', 'x'])).exitCode).toBe(2);
		// A process of the run (a check, a reviewer: the run's marker) is refused, engine or not.
		const inside = await runCli(root, ['retry', 'A', '--reason', 'x'], {PROOFLOOP_RUN_ID: listRuns(root)[0]!.id});
		expect(inside.exitCode).toBe(2);
		expect(inside.stderr).toMatch(/runs inside proofloop run/);
		expect(readFileSync(path.join(root, '.proofloop', 'tickets', 'A.md'), 'utf8')).toMatch(/^status: failed$/m);

		const retry = await runCli(root, ['retry', 'A', '--reason', 'the fixture was fixed']);
		expect(retry.exitCode, retry.stderr).toBe(0);
		const reset = await runCli(root, ['reset', 'B', '--reason', 'start B over']);
		expect(reset.exitCode, reset.stderr).toBe(0);
		expect(await git('branch', '--list', 'proofloop/B')).toBe('');
		expect(existsSync(path.join(root, '.proofloop', 'worktrees', 'B'))).toBe(false);
		expect(readFileSync(path.join(root, '.proofloop', 'tickets', 'A.md'), 'utf8')).toMatch(/^status: todo$/m);

		// The stuck run is reopened by the retry: attempt 2 of a budget of 2.
		const second = await runCli(root, ['run', '--headless'], env);
		expect(second.exitCode, second.stdout + second.stderr).toBe(0);
		expect(second.stdout).toMatch(/A {2}attempt 2\/2 started/);
		const seconds = records(out).filter(r => r.attempt === 2);
		expect(seconds.map(r => r.ticket).sort()).toEqual(['A', 'B']);
		// What each attempt 2's branch held beyond main when the agent started: nothing of attempt 1.
		for (const r of seconds) expect(r.inherited, r.ticket).toBe('');

		const run = listRuns(root)[0]!;
		const diff = path.join(run.dir, 'attempts', 'A', '1.diff');
		expect(readFileSync(diff, 'utf8')).toMatch(/work\/A-1\.txt/);
		expect(readFileSync(run.promptFile('A', 2), 'utf8')).toContain(diff);
		// Only what attempt 2 made is on main.
		expect(await git('show', '--stat', '--format=', 'main')).not.toMatch(/A-1\.txt|B-1\.txt/);
		expect(readdirSync(path.join(root, 'work')).sort()).toEqual(['A-2.txt', 'B-2.txt']);

		const kinds = runEvents(root).flatMap(e => (e.type === 'intervention' && e.ticket ? [`${e.kind} ${e.ticket} ${e.reason}`] : []));
		expect(kinds).toEqual(['retry A the fixture was fixed', 'reset B start B over']);
		const report = await runCli(root, ['report', '--json']);
		const json = JSON.parse(report.stdout) as {interventionsByKind: Record<string, number>; tickets: Array<{id: string; attempts: number}>};
		expect(json.interventionsByKind).toMatchObject({retry: 1, reset: 1});
		expect(json.tickets.map(t => t.attempts)).toEqual([2, 2]);
		const md = await runCli(root, ['report']);
		expect(md.stdout).toMatch(/retry A by .*: the fixture was fixed/);
	}, 120_000);

	it('retry through a live engine: the failed ticket runs again at once, as attempt 2 of 2, and the intervention names who and why', async () => {
		const {root, plan, io} = makeRepo({
			tickets: [{id: 'A'}, {id: 'B'}],
			config: {attempts: 1, selfHeal: {max: 0}},
			plan: {A: 'fail-once-committed', _sleepMs: 0, '_sleepMs:B': 15_000},
		});
		const out = path.join(io, 'out.jsonl');
		const engine = execa(process.execPath, [CLI, 'run', '--headless'], {
			cwd: root,
			reject: false,
			env: {FAKE_AGENT_PLAN: plan, FAKE_AGENT_OUT: out, NO_COLOR: '1'},
			stdin: 'ignore',
		});
		const deadline = Date.now() + 60_000;
		const failed = () => listRuns(root)[0] !== undefined && runEvents(root).some(e => e.type === 'ticket.status' && e.ticket === 'A' && e.status === 'failed');
		while (!failed() && Date.now() < deadline) await new Promise(resolve => setTimeout(resolve, 100));
		expect(failed()).toBe(true);
		const retry = await runCli(root, ['retry', 'A', '--reason', 'flaky fixture']);
		expect(retry.exitCode, retry.stderr).toBe(0);
		expect(retry.stdout).toMatch(/A is todo again with a fresh budget/);
		const result = await engine;
		expect(result.exitCode, result.stdout).toBe(0);
		expect(result.stdout).toMatch(/A {2}attempt 2\/2 started/);
		expect(records(out).find(r => r.ticket === 'A' && r.attempt === 2)?.inherited).toBe('');
		const intervention = runEvents(root).find(e => e.type === 'intervention' && e.kind === 'retry');
		expect(intervention).toMatchObject({ticket: 'A', reason: 'flaky fixture', by: expect.stringMatching(/@/)});
	}, 120_000);
});
