import {execFileSync} from 'node:child_process';
import {existsSync, mkdtempSync, readFileSync, writeFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import path from 'node:path';
import {setTimeout as sleep} from 'node:timers/promises';
import {execa} from 'execa';
import {describe, expect, it} from 'vitest';
import {listRuns} from '../../source/core/run-dir.js';
import {CLI, makeRepo, runCli, runEvents} from '../helpers/repo.js';

const git = (cwd: string, ...args: string[]) => execFileSync('git', args, {cwd, encoding: 'utf8'});
const ORACLE = path.resolve('oracle/oracle.mjs');
const oracle = (repo: string) => execa(process.execPath, [ORACLE, '--repo', repo], {reject: false});
/** Commits on main that are the engine's ticket-state commits. */
const stateCommits = (root: string) => git(root, 'log', '--first-parent', '--format=%H', '--grep=^Proofloop-Run: ', 'main').split('\n').filter(Boolean);

async function waitFor(predicate: () => boolean, timeoutMs: number): Promise<void> {
	const until = Date.now() + timeoutMs;
	while (!predicate()) {
		if (Date.now() > until) throw new Error('timed out waiting');
		await sleep(50);
	}
}
const hasEvent = (root: string, type: string, ticket?: string) =>
	listRuns(root).length > 0 &&
	existsSync(listRuns(root)[0]!.eventsFile) &&
	runEvents(root).some(e => e.type === type && (ticket === undefined || ('ticket' in e && e.ticket === ticket)));

// Done's evidence lives in git: the ticket files the engine wrote are committed on base at every run end.
describe('the ticket state committed at the end of a run', () => {
	it('a finished run leaves the checkout clean; after git stash -u, git checkout . and in a fresh clone the oracle still says done', async () => {
		const {root, plan} = makeRepo({tickets: [{id: 'A'}, {id: 'B', deps: ['A']}, {id: 'C'}], plan: {C: 'file-blocker', _sleepMs: 50}});
		const result = await runCli(root, ['run', '--headless'], {FAKE_AGENT_PLAN: plan});
		expect(result.exitCode, result.stdout + result.stderr).toBe(0);
		expect(result.stdout).toMatch(/ticket state committed on main @ [0-9a-f]{7}/);

		expect(git(root, 'status', '--porcelain')).toBe('');
		const commits = stateCommits(root);
		expect(commits).toHaveLength(1);
		expect(git(root, 'rev-parse', 'main').trim()).toBe(commits[0]);
		const runId = listRuns(root)[0]!.id;
		expect(git(root, 'log', '-1', '--format=%B', 'main')).toContain(`Proofloop-Run: ${runId}`);
		// The filed ticket (a file the engine created) is committed too.
		expect(git(root, 'show', 'main:.proofloop/tickets/C.md')).toMatch(/status: done/);
		expect(git(root, 'ls-tree', '--name-only', 'main', '.proofloop/tickets/').split('\n').filter(Boolean)).toHaveLength(4);
		expect(runEvents(root).some(e => e.type === 'run.halted' || e.type === 'base.foreign')).toBe(false);

		git(root, 'stash', '-u');
		git(root, 'checkout', '.');
		expect((await oracle(root)).exitCode).toBe(0);
		expect((await runCli(root, ['oracle'])).exitCode).toBe(0);

		const clone = path.join(mkdtempSync(path.join(tmpdir(), 'pl-clone-')), 'repo');
		git(tmpdir(), 'clone', '-q', root, clone);
		const cloned = await oracle(clone);
		expect(cloned.exitCode, cloned.stdout + cloned.stderr).toBe(0);
		// A hand edit still counts: the oracle reads the files in the checkout.
		const a = path.join(clone, '.proofloop/tickets/A.md');
		writeFileSync(a, readFileSync(a, 'utf8').replace('status: done', 'status: todo'));
		expect((await oracle(clone)).exitCode).toBe(1);
	}, 180_000);

	it('a run stopped short (a ticket out of attempts) commits its state too and leaves the checkout clean', async () => {
		const {root, plan} = makeRepo({tickets: [{id: 'A'}, {id: 'B'}], config: {attempts: 1}, plan: {B: 'fail', _sleepMs: 50}});
		const result = await runCli(root, ['run', '--headless'], {FAKE_AGENT_PLAN: plan});
		expect(result.exitCode, result.stdout + result.stderr).toBe(1);
		expect(git(root, 'status', '--porcelain')).toBe('');
		expect(stateCommits(root)).toHaveLength(1);
		expect(git(root, 'show', 'main:.proofloop/tickets/A.md')).toMatch(/status: done/);
		expect(git(root, 'show', 'main:.proofloop/tickets/B.md')).toMatch(/status: failed/);
		git(root, 'stash', '-u');
		const verdict = await oracle(root);
		expect(verdict.exitCode).toBe(1);
		expect(verdict.stdout).toMatch(/1 of 2 tickets/);
		expect(verdict.stdout).toMatch(/B\s+failed/);
	}, 180_000);

	it("a person's uncommitted edit (--allow-dirty) survives as exactly their edit, nothing staged", async () => {
		const {root, plan} = makeRepo({tickets: [{id: 'A'}], plan: {_sleepMs: 50}});
		writeFileSync(path.join(root, 'README.md'), '# test repo\n\nmine\n');
		const result = await runCli(root, ['run', '--headless', '--allow-dirty'], {FAKE_AGENT_PLAN: plan});
		expect(result.exitCode, result.stdout + result.stderr).toBe(0);
		expect(stateCommits(root)).toHaveLength(1);
		expect(git(root, 'symbolic-ref', 'HEAD').trim()).toBe('refs/heads/main');
		expect(git(root, 'status', '--porcelain')).toBe(' M README.md\n');
		expect(git(root, 'diff', '--cached')).toBe('');
		expect(git(root, 'diff', '--name-only')).toBe('README.md\n');
		expect(git(root, 'diff', '-U0', '--', 'README.md')).toMatch(/^\+mine$/m);
	}, 180_000);

	it('stopped by a signal, then resumed: the first end commits, the resume does not take it for a foreign move, and ends clean at done', async () => {
		const {root, plan} = makeRepo({tickets: [{id: 'A'}, {id: 'B', deps: ['A']}], plan: {_sleepMs: 50, '_sleepMs:B': 2000}});
		const engine = execa(process.execPath, [CLI, 'run', '--headless'], {cwd: root, reject: false, env: {FAKE_AGENT_PLAN: plan}, stdin: 'ignore'});
		await waitFor(() => hasEvent(root, 'attempt.started', 'B'), 60_000);
		engine.kill('SIGINT');
		await engine;
		expect(stateCommits(root)).toHaveLength(1);
		expect(git(root, 'status', '--porcelain')).toBe('');

		const resumed = await runCli(root, ['run', '--headless'], {FAKE_AGENT_PLAN: plan});
		expect(resumed.exitCode, resumed.stdout + resumed.stderr).toBe(0);
		expect(resumed.stdout).toMatch(/run resumed/);
		expect(runEvents(root).some(e => e.type === 'run.halted' || e.type === 'base.foreign')).toBe(false);
		expect(stateCommits(root)).toHaveLength(2);
		expect(git(root, 'status', '--porcelain')).toBe('');
	}, 180_000);

	it('killed -9 mid-run: the resumed run commits the state once, at its own end', async () => {
		const {root, plan} = makeRepo({tickets: [{id: 'A'}, {id: 'B', deps: ['A']}], plan: {_sleepMs: 50, '_sleepMs:B': 2000}});
		const engine = execa(process.execPath, [CLI, 'run', '--headless'], {cwd: root, reject: false, env: {FAKE_AGENT_PLAN: plan}, stdin: 'ignore'});
		await waitFor(() => hasEvent(root, 'attempt.started', 'B'), 60_000);
		engine.kill('SIGKILL');
		await engine;
		expect(stateCommits(root)).toHaveLength(0);

		const resumed = await runCli(root, ['run', '--headless'], {FAKE_AGENT_PLAN: plan});
		expect(resumed.exitCode, resumed.stdout + resumed.stderr).toBe(0);
		expect(stateCommits(root)).toHaveLength(1);
		expect(runEvents(root).filter(e => e.type === 'state.committed')).toHaveLength(1);
		expect(git(root, 'status', '--porcelain')).toBe('');
		git(root, 'stash', '-u');
		expect((await oracle(root)).exitCode).toBe(0);
	}, 180_000);
});
