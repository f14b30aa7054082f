import path from 'node:path';
import {describe, expect, it} from 'vitest';
import {probeBwrap} from '../../source/agents/sandbox.js';
import {commitRepoFinishLine} from '../helpers/finish-line.js';
import {makeRepo, runCli, runEvents, trailerCount} from '../helpers/repo.js';

// An agent that guts the verify script and empties the existing tests, with no
// real work, must not be counted done, boxed or not; a person's `allow:` in
// the ticket lets the same change merge.

const TAMPER_AGENT = path.resolve('test/fixtures/agents/tamper-agent.mjs');
const sandboxed = probeBwrap().ok;

function gutRepo(sandbox: 'auto' | 'none', extra?: string, attempts = 1) {
	const {root, plan} = makeRepo({
		tickets: [{id: 'A', ...(extra ? {extra} : {})}],
		config: {
			sandbox,
			attempts,
			agent: {type: 'command', command: `node ${TAMPER_AGENT}`},
			// The finish line lives in the repository: npm scripts, a smoke script, a test file.
			checks: ['npm test'],
			verify: ['npm run smoke'],
		},
	});
	commitRepoFinishLine(root);
	return {root, plan};
}

const env = (plan: string) => ({FAKE_AGENT_PLAN: plan, FAKE_TAMPER: 'gut'});

describe('the guard keeps the finish line that lives in the repository', () => {
	for (const mode of ['none', 'auto'] as const) {
		it.skipIf(mode === 'auto' && !sandboxed)(
			`refuses a diff that guts the verify script and empties the tests (${mode === 'none' ? 'unsandboxed' : 'sandboxed'})`,
			{timeout: 120_000},
			async () => {
				const {root, plan} = gutRepo(mode);
				const result = await runCli(root, ['run', '--headless'], env(plan));
				expect(result.exitCode, result.stdout + result.stderr).not.toBe(0);
				const events = runEvents(root);
				// The agent's own checks passed: the gutted scripts agree with anything.
				expect(events.find(e => e.type === 'checks.result' && e.ticket === 'A')).toMatchObject({ok: true});
				const guard = events.find(e => e.type === 'guard.result' && e.ticket === 'A');
				expect(guard).toMatchObject({ok: false});
				const reason = guard?.type === 'guard.result' ? (guard.reason ?? '') : '';
				expect(reason).toMatch(/scripts\/smoke\.mjs: changes a file the finish line runs \(`npm run smoke`\)/);
				expect(reason).toMatch(/test\/feature\.test\.mjs: empties an existing test file/);
				expect(reason).toMatch(/allow: \[scripts\/smoke\.mjs, test\/feature\.test\.mjs\]/);
				expect(result.stdout).toMatch(/A {2}guard refused: the diff moves the finish line/);
				expect(events.some(e => e.type === 'ticket.done')).toBe(false);
				expect(await trailerCount(root, 'A')).toBe(0);
			},
		);
	}

	it('refuses a new .npmrc that makes every npm script pass (script-shell=/bin/true)', {timeout: 120_000}, async () => {
		const {root, plan} = gutRepo('none');
		const result = await runCli(root, ['run', '--headless'], {FAKE_AGENT_PLAN: plan, FAKE_TAMPER: 'npmrc'});
		expect(result.exitCode, result.stdout + result.stderr).not.toBe(0);
		const events = runEvents(root);
		// `npm test` now runs no runner at all: the checks' count rule refuses it before the guard (which refuses .npmrc too: finish-line-files.test.ts).
		expect(events.find(e => e.type === 'checks.result' && e.ticket === 'A')).toMatchObject({
			ok: false,
			reason: expect.stringContaining("`npm test` exited 0 but printed no node summary; base's run of the same command ran 1 tests"),
		});
		expect(events.some(e => e.type === 'ticket.done')).toBe(false);
	});

	it('does not honour an allow an agent wrote into its ticket mid-run (unsandboxed), and says so', {timeout: 120_000}, async () => {
		const {root, plan} = gutRepo('none', undefined, 2);
		const result = await runCli(root, ['run', '--headless'], {FAKE_AGENT_PLAN: plan, FAKE_TAMPER: 'allow-gut'});
		expect(result.exitCode, result.stdout + result.stderr).not.toBe(0);
		const events = runEvents(root);
		expect(events.find(e => e.type === 'guard.result' && e.ticket === 'A' && e.attempt === 2)).toMatchObject({
			ok: false,
			reason: expect.stringContaining('scripts/smoke.mjs: changes a file the finish line runs'),
		});
		expect(events.some(e => e.type === 'warning' && /A\.md: checks, verify or allow changed during the run/.test(e.message))).toBe(true);
		expect(events.some(e => e.type === 'ticket.done')).toBe(false);
	});

	it(
		"keeps the finish line a ticket had when the run saw it: an agent that sets its ticket's checks and verify to `true` mid-run is not done",
		{timeout: 120_000},
		async () => {
			const {root, plan} = gutRepo('none', undefined, 2);
			const result = await runCli(root, ['run', '--headless'], {FAKE_AGENT_PLAN: plan, FAKE_TAMPER: 'weaken-ticket'});
			expect(result.exitCode, result.stdout + result.stderr).not.toBe(0);
			const events = runEvents(root);
			expect(events.find(e => e.type === 'checks.result' && e.ticket === 'A' && e.attempt === 2)).toMatchObject({
				ok: false,
				reason: expect.stringContaining('`npm test` failed'),
			});
			expect(events.some(e => e.type === 'warning' && /A\.md: checks, verify or allow changed during the run \(now .*"true"/.test(e.message))).toBe(true);
			expect(events.some(e => e.type === 'ticket.done')).toBe(false);
		},
	);

	it('merges the same change when a person allowed it in the ticket', {timeout: 120_000}, async () => {
		const {root, plan} = gutRepo('none', 'allow: [scripts/smoke.mjs, test/]');
		const result = await runCli(root, ['run', '--headless'], env(plan));
		expect(result.exitCode, result.stdout + result.stderr).toBe(0);
		const events = runEvents(root);
		expect(events.find(e => e.type === 'guard.result' && e.ticket === 'A')).toMatchObject({ok: true});
		expect(events.some(e => e.type === 'ticket.done' && e.ticket === 'A')).toBe(true);
		// The exception is said out loud.
		expect(events.some(e => e.type === 'warning' && /lets scripts\/smoke\.mjs change because .*A\.md allows it/.test(e.message))).toBe(true);
	});
});
