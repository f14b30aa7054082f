import {writeFileSync} from 'node:fs';
import {execa} from 'execa';
import {describe, expect, it} from 'vitest';
import {listRuns} from '../../source/core/run-dir.js';
import {CLI, makeRepo, runCli, runEvents} from '../helpers/repo.js';

const waitFor = async (condition: () => boolean, ms: number) => {
	const deadline = Date.now() + ms;
	while (!condition() && Date.now() < deadline) await new Promise(resolve => setTimeout(resolve, 100));
	expect(condition()).toBe(true);
};

describe('status with no engine', () => {
	it('after a crash says (status and attach) when the engine was last heard from, its last events and `proofloop run`; after a stuck end, which tickets to retry, and attach shows the summary', async () => {
		const {root, plan} = makeRepo({tickets: [{id: 'A'}, {id: 'B'}], config: {attempts: 1, selfHeal: {max: 0}}, plan: {_sleepMs: 60_000}});
		const engine = execa(process.execPath, [CLI, 'run', '--headless'], {cwd: root, reject: false, env: {FAKE_AGENT_PLAN: plan}, stdin: 'ignore'});
		await waitFor(() => listRuns(root).length > 0 && runEvents(root).filter(e => e.type === 'attempt.started').length === 2, 60_000);
		engine.kill('SIGKILL');
		await engine;

		const status = await runCli(root, ['status']);
		expect(status.exitCode, status.stderr).toBe(0);
		expect(status.stdout).toMatch(/engine not running/);
		expect(status.stdout).toMatch(/tickets: 2 interrupted/);
		expect(status.stdout).toMatch(/the engine died: no stop recorded; last heard from at \d{4}-\d\d-\d\dT.*\((just now|\d+ min ago)\)/);
		expect(status.stdout).toMatch(/last events:\n.*\n? *\[\d\d:\d\d\] [AB] {2}attempt 1\/1 started/);
		expect(status.stdout).toMatch(/next: `proofloop run` resumes this run/);
		const json = JSON.parse((await runCli(root, ['status', '--json'])).stdout) as {ended: {how: string; at: string; lastEvents: string[]; next: string[]}};
		expect(json.ended.how).toBe('died');
		expect(json.ended.at).toBe(runEvents(root).at(-1)!.at);
		expect(json.ended.lastEvents.length).toBeGreaterThan(0);
		expect(json.ended.next[0]).toMatch(/proofloop run/);
		// attach has no engine to follow: it says the same, with the fix.
		const attach = await runCli(root, ['attach']);
		expect(attach.exitCode).toBe(2);
		expect(attach.stderr).toMatch(/no proofloop engine is running: the engine died: no stop recorded; last heard from at/);
		expect(attach.stderr).toMatch(/fix: `proofloop run` resumes this run/);

		// Resumed, A fails its one attempt: the run is stuck, and status names the ticket to retry.
		writeFileSync(plan, JSON.stringify({A: 'fail', _sleepMs: 0}));
		const resumed = await runCli(root, ['run', '--headless'], {FAKE_AGENT_PLAN: plan});
		expect(resumed.exitCode, resumed.stdout + resumed.stderr).toBe(1);
		const stuck = await runCli(root, ['status']);
		expect(stuck.stdout).toMatch(/the run ended \(stuck/);
		expect(stuck.stdout).toMatch(/stop report: .*stop-report\.md/);
		expect(stuck.stdout).toMatch(/next: `proofloop retry <id> --reason "\.\.\."` .*\(A\)/);
		expect(stuck.stdout).not.toMatch(/engine died/);
		// attach to the ended run: without a terminal, the log's lines and then the summary; the oracle's exit.
		const ended = await runCli(root, ['attach']);
		expect(ended.exitCode).toBe(1);
		expect(ended.stdout).toMatch(/run stopped: stuck[\s\S]*RUN STUCK · oracle exit 1/);
		expect(ended.stdout).toMatch(/A\s+failed\s+1\/1\s/);
	}, 180_000);
});
