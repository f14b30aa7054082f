import {readFileSync, writeFileSync} from 'node:fs';
import path from 'node:path';
import {execaSync} from 'execa';
import {describe, expect, it} from 'vitest';
import {probeBwrap} from '../../source/agents/sandbox.js';
import {commitRepoFinishLine} from '../helpers/finish-line.js';
import {makeRepo, runCli, runEvents, trailerCount} from '../helpers/repo.js';

// Hostile: base's `npm test` is node --test alone (spec reporter, Node 23's default). The
// agent's module ends the existing test at import after printing a mocha summary, which
// the reporter passes through. Only the runners base printed may count toward base's tests.

const TAMPER_AGENT = path.resolve('test/fixtures/agents/tamper-agent.mjs');
const sandboxed = probeBwrap().ok;

describe('a summary of a runner base never printed does not count', () => {
	for (const sandbox of ['none', 'auto'] as const) {
		it.skipIf(sandbox === 'auto' && !sandboxed)(
			`node --test and a printed '1 passing' (${sandbox === 'none' ? 'unsandboxed' : 'sandboxed'})`,
			{timeout: 120_000},
			async () => {
				const {root, plan} = makeRepo({
					tickets: [{id: 'A'}],
					config: {sandbox, attempts: 1, agent: {type: 'command', command: `node ${TAMPER_AGENT}`}, checks: ['npm test'], verify: []},
				});
				commitRepoFinishLine(root);
				const pkg = path.join(root, 'package.json');
				writeFileSync(pkg, readFileSync(pkg, 'utf8').replace('node --test test/', 'node --test --test-reporter=spec test/'));
				execaSync('git', ['commit', '-q', '-am', 'spec reporter'], {cwd: root});
				const result = await runCli(root, ['run', '--headless'], {FAKE_AGENT_PLAN: plan, FAKE_TAMPER: 'other-runner'});
				expect(result.exitCode, result.stdout + result.stderr).not.toBe(0);
				const events = runEvents(root);
				const checks = events.find(e => e.type === 'checks.result' && e.ticket === 'A');
				expect(checks, result.stdout).toMatchObject({ok: false});
				expect(checks?.type === 'checks.result' ? checks.reason : '').toMatch(
					/the checks ran 0 passing tests \(`npm test`\); base's run of the same command ran 1/,
				);
				expect(events.some(e => e.type === 'ticket.done')).toBe(false);
				expect(await trailerCount(root, 'A')).toBe(0);
			},
		);
	}
});
