// runGit spawns git from a helper thread: the same answers as before (codes,
// output, stdin, a git that cannot start), and the caller's thread is not held
// while each child execs.
import {spawn} from 'node:child_process';
import {once} from 'node:events';
import {performance} from 'node:perf_hooks';
import path from 'node:path';
import {afterAll, describe, expect, it} from 'vitest';
import {runGit} from '../../../source/git/run.js';
import {cleanup, git, makeRepo} from './helpers.js';

afterAll(cleanup);

describe('runGit off the main thread', () => {
	it('answers as git does: stdout without the final newline, exit codes, stderr, stdin', async () => {
		const repo = makeRepo();
		const head = git(repo, 'rev-parse', 'HEAD');
		expect(await runGit(repo, ['rev-parse', 'HEAD'])).toEqual({exitCode: 0, stdout: head, stderr: ''});
		const missing = await runGit(repo, ['rev-parse', '--verify', '--quiet', 'refs/heads/nope']);
		expect(missing).toMatchObject({exitCode: 1, stdout: ''});
		const bad = await runGit(repo, ['cat-file', '-t', 'no-such-object']);
		expect(bad.exitCode).toBe(128);
		expect(bad.stderr).toMatch(/no-such-object/);
		const blob = await runGit(repo, ['hash-object', '--stdin'], {input: 'hello\n'});
		expect(blob).toEqual({exitCode: 0, stdout: 'ce013625030ba8dba906f756967f9e9ca394464a', stderr: ''});
	});

	it('a git that cannot start (its directory is gone) is exit -1 with the reason in stderr, not a throw', async () => {
		const result = await runGit(path.join(makeRepo(), 'no', 'such', 'dir'), ['status']);
		expect(result.exitCode).toBe(-1);
		expect(result.stderr).toMatch(/ENOENT/);
	});

	it("starting many gits does not hold the caller's thread for their spawns", async () => {
		const repo = makeRepo();
		await Promise.all(Array.from({length: 40}, () => runGit(repo, ['rev-parse', 'HEAD']))); // the helper thread is up, the code warm
		// The least disturbed of three rounds each, taken in turns: ours, and 40 spawns in this thread (what it replaced).
		const best = {ours: Infinity, inThread: Infinity};
		for (let round = 0; round < 3; round++) {
			let started = performance.now();
			const calls = Array.from({length: 40}, () => runGit(repo, ['rev-parse', 'HEAD']));
			best.ours = Math.min(best.ours, performance.now() - started);
			expect((await Promise.all(calls)).every(r => r.exitCode === 0)).toBe(true);
			started = performance.now();
			const children = Array.from({length: 40}, () => spawn('git', ['rev-parse', 'HEAD'], {cwd: repo, stdio: 'ignore'}));
			best.inThread = Math.min(best.inThread, performance.now() - started);
			await Promise.all(children.map(child => once(child, 'exit')));
		}
		// Spawning in this thread, each fork-and-exec holds it; handed to the helper thread, a call returns at once.
		expect(best.ours).toBeLessThan(best.inThread * 0.5);
	});
});
