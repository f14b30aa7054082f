import path from 'node:path';
import {describe, expect, it} from 'vitest';
import {commitRepoFinishLine} from '../helpers/finish-line.js';
import {makeRepo, runCli, runEvents, trailerCount} from '../helpers/repo.js';

// Hostile, unsandboxed: the agent ends the existing test at import and writes
// <run>/baselines.json to say base's `npm test` printed no summary, so the exit code
// alone would decide. The engine must hold base's count from before any agent ran.

const TAMPER_AGENT = path.resolve('test/fixtures/agents/tamper-agent.mjs');

describe("base's count is not the run directory's word", () => {
	it('a baselines.json an agent wrote is not read (unsandboxed)', {timeout: 120_000}, async () => {
		const {root, plan} = makeRepo({
			tickets: [{id: 'A'}],
			config: {sandbox: 'none', attempts: 1, agent: {type: 'command', command: `node ${TAMPER_AGENT}`}, checks: ['npm test'], verify: []},
		});
		commitRepoFinishLine(root);
		const result = await runCli(root, ['run', '--headless'], {FAKE_AGENT_PLAN: plan, FAKE_TAMPER: 'poison-baseline'});
		expect(result.stdout).not.toMatch(/cannot poison/);
		expect(result.exitCode, result.stdout + result.stderr).not.toBe(0);
		const events = runEvents(root);
		const checks = events.find(e => e.type === 'checks.result' && e.ticket === 'A');
		expect(checks, result.stdout).toMatchObject({ok: false});
		expect(checks?.type === 'checks.result' ? checks.reason : '').toMatch(
			/the checks ran 0 passing tests \(`npm test`\); base's run of the same command ran 1/,
		);
		expect(events.some(e => e.type === 'ticket.done')).toBe(false);
		expect(await trailerCount(root, 'A')).toBe(0);
	});
});
