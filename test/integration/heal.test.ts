import {readFileSync, readdirSync, writeFileSync} from 'node:fs';
import path from 'node:path';
import {describe, expect, it} from 'vitest';
import {listRuns} from '../../source/core/run-dir.js';
import {makeRepo, runCli, runEvents} from '../helpers/repo.js';

const healer = {type: 'command', command: `node ${path.resolve('test/fixtures/agents/fake-healer.mjs')} {prompt_file}`};

/** A batch whose every attempt times out: the agent needs ~2 s, the config allows 1 s. */
function stuckRepo(extra: Record<string, unknown> = {}) {
	const {root, plan} = makeRepo({
		tickets: [{id: 'A'}],
		config: {attempts: 1, attemptTimeoutSeconds: 1, selfHeal: {max: 2, healer}, ...extra},
		plan: {_sleepMs: 2000},
	});
	const heal = `${plan}.heal.json`;
	return {root, plan, heal, env: (mode: string) => (writeFileSync(heal, JSON.stringify({mode})), {FAKE_AGENT_PLAN: plan, FAKE_HEAL_PLAN: heal})};
}

const snapshot = (root: string) => {
	const files = ['.proofloop/config.json', ...readdirSync(path.join(root, '.proofloop/tickets')).map(f => `.proofloop/tickets/${f}`)];
	return Object.fromEntries(files.map(f => [f, readFileSync(path.join(root, f), 'utf8').replace(/^(status|attempts|failure): .*\n/gm, '')]));
};

describe('self-heal: the harness may change, the verifier never', () => {
	it('a harness gap (a timeout too short) is healed: the tripwire holds, the run resumes and ends at oracle 0; the report shows the heal with its diff', async () => {
		const {root, env} = stuckRepo();
		const result = await runCli(root, ['run', '--headless'], env('raise-timeout'));
		expect(result.exitCode).toBe(0);
		const heals = runEvents(root).filter(e => e.type === 'heal.result');
		expect(heals).toHaveLength(1);
		expect(heals[0]).toMatchObject({outcome: 'applied', files: ['.proofloop/config.json']});
		expect(JSON.parse(readFileSync(path.join(root, '.proofloop/config.json'), 'utf8')).attemptTimeoutSeconds).toBe(30);
		const report = JSON.parse((await runCli(root, ['report', '--json'])).stdout);
		expect(report.heals).toBe(1);
		expect(report.healList[0].diff).toMatch(/-\s+"attemptTimeoutSeconds": 1,\n\+\s+"attemptTimeoutSeconds": 30,/);
		expect((await runCli(root, ['oracle'])).exitCode).toBe(0);
	});

	for (const mode of ['edit-oracle', 'change-batch', 'delete-ticket', 'unsandbox', 'weaken-checks', 'notify-command']) {
		it(`a healer that weakens the verifier (${mode}) is refused, nothing of its change applied, and the oracle still says not done`, async () => {
			const {root, env} = stuckRepo({selfHeal: {max: 1, healer}});
			const before = snapshot(root);
			const result = await runCli(root, ['run', '--headless'], env(mode));
			expect(result.exitCode).toBe(1);
			const heal = runEvents(root).find(e => e.type === 'heal.result');
			expect(heal).toMatchObject({outcome: 'refused'});
			expect(result.stdout).toMatch(/heal 1 refused/);
			expect(snapshot(root)).toEqual(before);
			expect(readdirSync(root)).not.toContain('oracle');
			expect((await runCli(root, ['oracle'])).exitCode).toBe(1);
		});
	}

	it('an external wall ends the run with the evidence in the report and the oracle at 1', async () => {
		const {root, env} = stuckRepo();
		const result = await runCli(root, ['run', '--headless'], env('wall'));
		expect(result.exitCode).toBe(1);
		const report = JSON.parse((await runCli(root, ['report', '--json'])).stdout);
		expect(report.healList).toEqual([expect.objectContaining({outcome: 'external-wall', reason: expect.stringMatching(/metrics.writer role/)})]);
	});

	// Each heal runs the tripwire fresh (about 10 s quiet, 30 s on a loaded 2-core machine).
	it('the cap holds: a healer that keeps claiming a gap without effect is stopped after selfHeal.max heals', {timeout: 240_000}, async () => {
		const {root, env} = stuckRepo();
		const result = await runCli(root, ['run', '--headless'], env('noop-gap'));
		expect(result.exitCode).toBe(1);
		expect(
			runEvents(root)
				.filter(e => e.type === 'heal.result')
				.map(e => (e.type === 'heal.result' ? e.outcome : '')),
		).toEqual(['applied', 'applied']);
		expect(runEvents(root).filter(e => e.type === 'attempt.started')).toHaveLength(3);
	});

	it('proofloop oracle --self-test runs the tripwire', async () => {
		const {root} = stuckRepo();
		const result = await runCli(root, ['oracle', '--self-test']);
		expect(result.exitCode).toBe(0);
		expect(result.stdout).toMatch(/tripwire: ok/);
	});
});

describe('stop detection: the same harness error repeating across attempts', () => {
	/** Four tickets, one at a time, each attempt timing out the same way. */
	const repeatingRepo = (selfHeal: Record<string, unknown>) =>
		makeRepo({
			tickets: ['A', 'B', 'C', 'D'].map(id => ({id})),
			config: {concurrency: 1, attempts: 3, attemptTimeoutSeconds: 1, selfHeal},
			plan: {_sleepMs: 2000},
		});

	it('stops dispatching after two tickets fail alike (at most the one attempt already started past them), never starts the others, and writes the stop report', async () => {
		const {root, plan} = repeatingRepo({max: 0, repeatLimit: 2});
		const result = await runCli(root, ['run', '--headless'], {FAKE_AGENT_PLAN: plan});
		expect(result.exitCode).toBe(1);
		const events = runEvents(root);
		// Attempts of A and B failed the same way: two tickets, so dispatch stopped. C and D were not burned.
		// (Which of A's retries and B's first attempt comes first depends on when A's agent freed its slot.)
		const started = events.filter(e => e.type === 'attempt.started').map(e => ('ticket' in e ? e.ticket : ''));
		expect([...new Set(started)].sort()).toEqual(['A', 'B']);
		const repeated = events.find(e => e.type === 'harness.repeated');
		expect(repeated).toMatchObject({signature: 'the agent failed: timed out after #s; the process group was killed'});
		// A slot frees when an agent exits, before its failure is settled: at most one more attempt (concurrency 1) started.
		const count = repeated?.type === 'harness.repeated' ? repeated.count : 0;
		expect(count).toBeGreaterThanOrEqual(2);
		expect(started.length).toBeLessThanOrEqual(count + 1);
		expect(repeated?.type === 'harness.repeated' && [...repeated.tickets].sort()).toEqual(['A', 'B']);
		expect(result.stdout + result.stderr).toMatch(new RegExp(`same harness error ended ${count} attempts in a row \\((A, B|B, A)\\)`));
		const stopped = events.findLast(e => e.type === 'run.stopped');
		expect(stopped).toMatchObject({reason: 'stuck', oracleExit: 1, detail: expect.stringMatching(/stop-report\.md$/)});
		const stopReport = readFileSync(path.join(listRuns(root)[0]!.dir, 'stop-report.md'), 'utf8');
		expect(stopReport).toMatch(/The same harness error keeps ending attempts/);
		expect(stopReport).toMatch(/timed out after #s/);
		const report = JSON.parse((await runCli(root, ['report', '--json'])).stdout);
		expect(report.harnessRepeats).toEqual([expect.objectContaining({count})]);
		// B, C and D are still startable: a resume after the fix has their budgets.
		const status = (id: string) => /^status: (\S+)$/m.exec(readFileSync(path.join(root, `.proofloop/tickets/${id}.md`), 'utf8'))?.[1];
		expect(['B', 'C', 'D'].map(status)).toEqual(['todo', 'todo', 'todo']);
	});

	it('heals early: the healer raises the timeout after the repeat, and every ticket then passes on its first attempt budget', {timeout: 240_000}, async () => {
		const {root, plan} = repeatingRepo({max: 1, repeatLimit: 2, healer});
		const healPlan = `${plan}.heal.json`;
		writeFileSync(healPlan, JSON.stringify({mode: 'raise-timeout'}));
		const result = await runCli(root, ['run', '--headless'], {FAKE_AGENT_PLAN: plan, FAKE_HEAL_PLAN: healPlan});
		expect(result.exitCode).toBe(0);
		const events = runEvents(root);
		const healAt = events.findIndex(e => e.type === 'heal.started');
		expect(events.findIndex(e => e.type === 'harness.repeated')).toBeLessThan(healAt);
		// C and D never ran before the heal: the repeat stopped dispatch, not the attempt caps.
		const beforeHeal = events
			.slice(0, healAt)
			.filter(e => e.type === 'attempt.started')
			.map(e => ('ticket' in e ? e.ticket : ''));
		expect([...new Set(beforeHeal)].sort()).toEqual(['A', 'B']);
		expect(events.filter(e => e.type === 'heal.result')).toEqual([expect.objectContaining({outcome: 'applied'})]);
		expect((await runCli(root, ['oracle'])).exitCode).toBe(0);
	});
});
