import {readFileSync} from 'node:fs';
import path from 'node:path';
import {execa} from 'execa';
import {describe, expect, it} from 'vitest';
import {CLI, makeRepo, runCli, runEvents} from '../helpers/repo.js';

const ticketFile = (root: string, id: string) => readFileSync(path.join(root, '.proofloop', 'tickets', `${id}.md`), 'utf8');

describe('gate, ungate and retry with no engine running', () => {
	it('are written to the tracker and the run log, show in the next report, are refused to a run’s processes, and a resumed run keeps them', async () => {
		const {root, plan} = makeRepo({
			tickets: [{id: 'A'}, {id: 'B'}],
			config: {attempts: 1, selfHeal: {max: 0}},
			plan: {A: 'fail', B: 'fail', _sleepMs: 0},
		});
		const env = {FAKE_AGENT_PLAN: plan};
		const first = await runCli(root, ['run', '--headless'], env);
		expect(first.exitCode, first.stdout + first.stderr).toBe(1);
		expect(ticketFile(root, 'A')).toMatch(/^status: failed$/m);

		// A process of a run (the marker on it or on an ancestor, even with its own environment cleared) is refused and nothing is written.
		const child = await execa('sh', ['-c', `env -u PROOFLOOP_RUN_ID "${process.execPath}" "${CLI}" gate A --reason forged`], {
			cwd: root,
			reject: false,
			env: {PROOFLOOP_RUN_ID: 'some-run', NO_COLOR: '1'},
		});
		expect(child.exitCode, child.stdout + child.stderr).toBe(2);
		expect(child.stderr).toMatch(/carries a run's marker/);
		expect((await runCli(root, ['gate', 'A', '--reason', 'x'], {PROOFLOOP_RUN_ID: 'some-run'})).exitCode).toBe(2);
		expect((await runCli(root, ['gate', 'Z', '--reason', 'x'])).exitCode).toBe(2);
		expect((await runCli(root, ['ungate', 'A'])).stderr).toMatch(/A is not human-gated/);
		expect(ticketFile(root, 'A')).toMatch(/^status: failed$/m);
		expect(runEvents(root).filter(e => e.type === 'intervention')).toEqual([]);

		const gate = await runCli(root, ['gate', 'A', '--reason', 'needs a human login']);
		expect(gate.exitCode, gate.stderr).toBe(0);
		expect(gate.stdout).toMatch(/A gated \(no engine is running/);
		expect(ticketFile(root, 'A')).toMatch(/^status: human_gated$/m);
		expect(ticketFile(root, 'A')).toMatch(/reason: "needs a human login"/);
		expect((await runCli(root, ['ungate', 'A'])).exitCode).toBe(0);
		expect(ticketFile(root, 'A')).toMatch(/^status: todo$/m);
		expect((await runCli(root, ['gate', 'A', '--reason', 'needs a human login'])).exitCode).toBe(0);
		const retry = await runCli(root, ['retry', 'B', '--reason', 'the fixture was fixed']);
		expect(retry.exitCode, retry.stderr).toBe(0);

		const report = await runCli(root, ['report']);
		expect(report.exitCode, report.stderr).toBe(0);
		expect(report.stdout).toMatch(/gate A by .*: needs a human login/);
		expect(report.stdout).toMatch(/ungate A by /);
		expect(report.stdout).toMatch(/retry B by .*: the fixture was fixed/);
		const json = JSON.parse((await runCli(root, ['report', '--json'])).stdout) as {interventionsByKind: Record<string, number>};
		expect(json.interventionsByKind).toMatchObject({gate: 2, ungate: 1, retry: 1});

		// The resumed run keeps the gate (its own log says it was written) and runs B again.
		const plan2 = plan.replace(/plan\.json$/, 'plan2.json');
		await execa('sh', ['-c', `echo '{"B": "ok", "_sleepMs": 0}' > "${plan2}"`]);
		const second = await runCli(root, ['run', '--headless'], {FAKE_AGENT_PLAN: plan2});
		expect(second.exitCode, second.stdout + second.stderr).toBe(0);
		expect(ticketFile(root, 'A')).toMatch(/^status: human_gated$/m);
		expect(runEvents(root).filter(e => e.type === 'warning' && /TAMPER|never wrote/.test(e.message))).toEqual([]);
	}, 180_000);
});
