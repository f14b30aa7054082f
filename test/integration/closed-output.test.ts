import {execFileSync, spawn} from 'node:child_process';
import {existsSync} from 'node:fs';
import path from 'node:path';
import {execa} from 'execa';
import {describe, expect, it} from 'vitest';
import {CLI, makeRepo, runCli, runEvents} from '../helpers/repo.js';

const worktrees = (root: string) => execFileSync('git', ['worktree', 'list', '--porcelain'], {cwd: root, encoding: 'utf8'}).match(/^worktree /gm)?.length;
const lockFile = (root: string) => path.join(root, '.proofloop/runs/engine.lock');

// A foreground engine's reader going away (a pipe closed early, a terminal closed) must not end the run.
describe('output that goes away', () => {
	it('`proofloop run --headless | head -3`: the run goes on to oracle 0 and leaves no lock and no spare checkout; the next `proofloop run` finds nothing stale', async () => {
		const {root, plan} = makeRepo({tickets: ['A', 'B', 'C', 'D'].map(id => ({id})), config: {spareCheckouts: 1}, plan: {_sleepMs: 300}});
		const piped = await execa('sh', ['-c', `"${process.execPath}" "${CLI}" run --headless | head -3`], {
			cwd: root,
			reject: false,
			env: {FAKE_AGENT_PLAN: plan, NO_COLOR: '1'},
		});
		expect(piped.stdout.split('\n')).toHaveLength(3);
		const stopped = runEvents(root).findLast(e => e.type === 'run.stopped');
		expect(stopped?.type === 'run.stopped' && [stopped.reason, stopped.oracleExit]).toEqual(['finished', 0]);
		expect(existsSync(lockFile(root))).toBe(false);
		expect(worktrees(root)).toBe(1);
		const again = await runCli(root, ['run', '--headless'], {FAKE_AGENT_PLAN: plan});
		expect(again.exitCode, again.stderr).toBe(0);
		expect(again.stderr).not.toMatch(/stale|left by/);
		expect(worktrees(root)).toBe(1);
	}, 240_000);

	it('a closed terminal (SIGHUP, then nobody reading): the foreground engine finishes the run and cleans up', async () => {
		const {root, plan} = makeRepo({tickets: ['A', 'B', 'C'].map(id => ({id})), config: {spareCheckouts: 1}, plan: {_sleepMs: 300}});
		const engine = spawn(process.execPath, [CLI, 'run', '--headless'], {
			cwd: root,
			env: {...process.env, FAKE_AGENT_PLAN: plan, NO_COLOR: '1'},
			stdio: ['ignore', 'pipe', 'pipe'],
		});
		const exited = new Promise<number | null>(resolve => engine.on('exit', code => resolve(code)));
		await new Promise<void>(resolve => engine.stdout.once('data', () => resolve()));
		engine.stdout.destroy();
		engine.stderr.destroy();
		engine.kill('SIGHUP');
		expect(await exited).toBe(0);
		const stopped = runEvents(root).findLast(e => e.type === 'run.stopped');
		expect(stopped?.type === 'run.stopped' && [stopped.reason, stopped.oracleExit]).toEqual(['finished', 0]);
		expect(existsSync(lockFile(root))).toBe(false);
		expect(worktrees(root)).toBe(1);
	}, 240_000);
});
