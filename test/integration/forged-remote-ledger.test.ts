import {readFileSync} from 'node:fs';
import path from 'node:path';
import {execa} from 'execa';
import {describe, expect, it} from 'vitest';
import {listRuns} from '../../source/core/run-dir.js';
import {makeRepo, runCli, runEvents} from '../helpers/repo.js';

// Hostile, unsandboxed: before the first merge there is no local proofloop-ledger, and the
// oracle (and the engine's first append) read origin's instead. An agent that writes
// refs/remotes/origin/proofloop-ledger has moved the ledger as much as one that writes the branch.

const TAMPER_AGENT = path.resolve('test/fixtures/agents/tamper-agent.mjs');

describe("origin's ledger, read while there is no local one, moved by an agent", () => {
	it('halts the run; the engine continues nothing from it', {timeout: 120_000}, async () => {
		const {root, plan} = makeRepo({
			tickets: [{id: 'F'}, {id: 'B', deps: ['F']}],
			config: {sandbox: 'none', attempts: 1, agent: {type: 'command', command: `node ${TAMPER_AGENT}`}},
		});
		const result = await runCli(root, ['run', '--headless'], {
			FAKE_AGENT_PLAN: plan,
			FAKE_TAMPER_F: 'forge-ledger',
			FAKE_LEDGER_REF: 'refs/remotes/origin/proofloop-ledger',
			FAKE_FORGED_TICKET: 'B',
			FAKE_AFTER_MS: '3000',
		});
		expect(result.exitCode, result.stdout + result.stderr).not.toBe(0);
		const events = runEvents(root);
		expect(events.find(e => e.type === 'run.halted')).toMatchObject({cause: 'ledger.foreign'});
		expect(events.some(e => e.type === 'ticket.done' && e.ticket === 'F')).toBe(false);
		// No local ledger was made on top of the forged one.
		const local = await execa('git', ['rev-parse', '--verify', '-q', 'refs/heads/proofloop-ledger'], {cwd: root, reject: false});
		expect(local.exitCode).not.toBe(0);
		expect(readFileSync(path.join(listRuns(root)[0]!.dir, 'stop-report.md'), 'utf8')).toContain('TAMPER');
	});
});
