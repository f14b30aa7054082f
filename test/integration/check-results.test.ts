import {execFileSync} from 'node:child_process';
import {readdirSync, readFileSync, writeFileSync} from 'node:fs';
import path from 'node:path';
import {execaSync} from 'execa';
import {describe, expect, it} from 'vitest';
import {probeBwrap} from '../../source/agents/sandbox.js';
import {commitRepoFinishLine} from '../helpers/finish-line.js';
import {makeRepo, runCli, runEvents, trailerCount} from '../helpers/repo.js';

// A check passes only if it ran at least the tests base's run of the same command
// ran: new files that end the runner early or empty the existing tests at run time
// exit 0, and must not get a ticket counted, boxed or not. Honest work still passes.

const TAMPER_AGENT = path.resolve('test/fixtures/agents/tamper-agent.mjs');
const sandboxed = probeBwrap().ok;
const pytest = (() => {
	try {
		execFileSync('python3', ['-m', 'pytest', '--version'], {stdio: 'ignore'});
		return true;
	} catch {
		return false;
	}
})();
if (!pytest) console.warn('check-results.test: python3 -m pytest is not available here; the pytest case is SKIPPED');

function nodeRepo(sandbox: 'auto' | 'none', tickets: Array<string | {id: string; deps: string[]}> = ['A'], concurrency = 3, extra?: string) {
	const {root, plan} = makeRepo({
		tickets: tickets.map(t => ({...(typeof t === 'string' ? {id: t} : t), ...(extra ? {extra} : {})})),
		// No verify commands: the checks, re-run on the merged base, are the verify too.
		config: {sandbox, concurrency, attempts: 1, agent: {type: 'command', command: `node ${TAMPER_AGENT}`}, checks: ['npm test'], verify: []},
	});
	commitRepoFinishLine(root);
	return {root, plan};
}

function pytestRepo(sandbox: 'auto' | 'none') {
	const {root, plan} = makeRepo({
		tickets: [{id: 'A'}],
		config: {sandbox, attempts: 1, agent: {type: 'command', command: `node ${TAMPER_AGENT}`}, checks: ['python3 -m pytest -q -p no:cacheprovider'], verify: []},
	});
	writeFileSync(path.join(root, 'test_feature.py'), "import os\n\ndef test_feature():\n    assert os.path.exists('feature.txt')\n");
	writeFileSync(path.join(root, '.gitignore'), `${readFileSync(path.join(root, '.gitignore'), 'utf8')}__pycache__/\n`);
	execaSync('git', ['add', '-A'], {cwd: root});
	execaSync('git', ['commit', '-q', '-m', 'a python finish line'], {cwd: root});
	return {root, plan};
}

async function expectRefused(root: string, plan: string, mode: string, reason: RegExp) {
	const result = await runCli(root, ['run', '--headless'], {FAKE_AGENT_PLAN: plan, FAKE_TAMPER: mode});
	expect(result.exitCode, result.stdout + result.stderr).not.toBe(0);
	const events = runEvents(root);
	const checks = events.find(e => e.type === 'checks.result' && e.ticket === 'A');
	expect(checks, result.stdout).toMatchObject({ok: false});
	expect(checks?.type === 'checks.result' ? checks.reason : '').toMatch(reason);
	expect(events.some(e => e.type === 'ticket.done')).toBe(false);
	expect(await trailerCount(root, 'A')).toBe(0);
	// The next attempt reads why.
	const failed = events.find(e => e.type === 'attempt.failed' && e.ticket === 'A');
	expect(JSON.stringify(failed)).toMatch(reason);
}

const modes = (['none', 'auto'] as const).map(mode => ({mode, label: mode === 'none' ? 'unsandboxed' : 'sandboxed', skip: mode === 'auto' && !sandboxed}));

describe('the checks must run the tests base ran', () => {
	for (const {mode, label, skip} of modes) {
		it.skipIf(skip)(`node --test: a new module the existing test imports exits 0 at import (${label})`, {timeout: 120_000}, async () => {
			const {root, plan} = nodeRepo(mode);
			await expectRefused(
				root,
				plan,
				'exit-at-import',
				/the checks ran 0 passing tests \(`npm test`\); base's run of the same command ran 1: tests were skipped or the runner ended early/,
			);
		});

		it.skipIf(skip)(`node --test: a new test file empties the existing one at run time (${label})`, {timeout: 120_000}, async () => {
			const {root, plan} = nodeRepo(mode);
			// Boxed, base's test files are read-only: the rewrite fails, and the real test runs (and fails).
			const reason = mode === 'auto' ? /`npm test` failed \(exit 1\)/ : /the checks ran 0 passing tests \(`npm test`\); base's run of the same command ran 1/;
			await expectRefused(root, plan, 'truncate-sibling', reason);
		});

		it.skipIf(skip || !pytest)(`pytest: a new test_zzz.py calls os._exit(0) at import (${label})`, {timeout: 120_000}, async () => {
			const {root, plan} = pytestRepo(mode);
			await expectRefused(
				root,
				plan,
				'pytest-exit',
				/exited 0 but printed no pytest summary; base's run of the same command ran 1 tests: the runner ended early or never ran/,
			);
		});

		it.skipIf(skip)(`honest work passes, and a base the engine merged needs no run of its own (${label})`, {timeout: 120_000}, async () => {
			// B after A (a slot frees at an agent's exit, so concurrency 1 alone would not wait for A's merge).
			const {root, plan} = nodeRepo(mode, ['A', {id: 'B', deps: ['A']}], 1);
			const result = await runCli(root, ['run', '--headless'], {FAKE_AGENT_PLAN: plan, FAKE_TAMPER: 'feature', FAKE_TAMPER_B: 'ok'});
			expect(result.exitCode, result.stdout + result.stderr).toBe(0);
			const events = runEvents(root);
			expect(
				events
					.filter(e => e.type === 'ticket.done')
					.map(e => e.ticket)
					.sort(),
			).toEqual(['A', 'B']);
			// Base was run once, for the first ticket; B's base was A's merge, whose count A's checks gave.
			const runs = path.join(root, '.proofloop', 'runs');
			const logs = readdirSync(runs).flatMap(run => ['A', 'B'].map(t => readFileSync(path.join(runs, run, 'logs', t, '1.log'), 'utf8')));
			expect(logs.join('').match(/\] baseline: base \w+: \$ npm test/g)?.length).toBe(1);
		});
	}

	it("a person's allow: for existing tests lets the count drop, said out loud", {timeout: 120_000}, async () => {
		const {root, plan} = nodeRepo('none', ['A'], 3, 'allow: [test/]');
		const result = await runCli(root, ['run', '--headless'], {FAKE_AGENT_PLAN: plan, FAKE_TAMPER: 'truncate-sibling'});
		expect(result.exitCode, result.stdout + result.stderr).toBe(0);
		const events = runEvents(root);
		expect(
			events.some(
				e =>
					e.type === 'warning' &&
					/A: the checks' test count is not held to base's, because .*A\.md allows existing tests to change \(test\/feature\.test\.mjs/.test(e.message),
			),
		).toBe(true);
	});
});
