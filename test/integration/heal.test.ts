import {readFileSync, readdirSync, writeFileSync} from 'node:fs';
import path from 'node:path';
import {describe, expect, it} from 'vitest';
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

	for (const mode of ['edit-oracle', 'change-batch', 'delete-ticket']) {
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

	it('the cap holds: a healer that keeps claiming a gap without effect is stopped after selfHeal.max heals', async () => {
		const {root, env} = stuckRepo();
		const result = await runCli(root, ['run', '--headless'], env('noop-gap'));
		expect(result.exitCode).toBe(1);
		expect(runEvents(root).filter(e => e.type === 'heal.result').map(e => (e.type === 'heal.result' ? e.outcome : ''))).toEqual(['applied', 'applied']);
		expect(runEvents(root).filter(e => e.type === 'attempt.started')).toHaveLength(3);
	});

	it('proofloop oracle --self-test runs the tripwire', async () => {
		const {root} = stuckRepo();
		const result = await runCli(root, ['oracle', '--self-test']);
		expect(result.exitCode).toBe(0);
		expect(result.stdout).toMatch(/tripwire: ok/);
	});
});
