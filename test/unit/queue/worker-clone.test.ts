import {execFileSync} from 'node:child_process';
import {existsSync, mkdtempSync, writeFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import path from 'node:path';
import {describe, expect, it} from 'vitest';
import {startRef, type AttemptJob} from '../../../source/queue/protocol.js';
import {WorkerClone} from '../../../source/queue/worker-clone.js';

const git = (cwd: string, ...args: string[]) => execFileSync('git', args, {cwd, encoding: 'utf8'}).trim();

describe("a worker's clone", () => {
	it('makes and removes the checkouts of attempts that run at once (a worker at --concurrency above 1) without racing on its git metadata', async () => {
		const top = mkdtempSync(path.join(tmpdir(), 'pl-worker-clone-'));
		const source = path.join(top, 'source');
		const remote = path.join(top, 'remote.git');
		execFileSync('git', ['init', '-q', '-b', 'main', source]);
		writeFileSync(path.join(source, 'README.md'), '# r\n');
		git(source, 'add', '-A');
		git(source, '-c', 'user.name=t', '-c', 'user.email=t@t.invalid', 'commit', '-qm', 'init');
		execFileSync('git', ['init', '-q', '--bare', remote]);
		const start = git(source, 'rev-parse', 'HEAD');
		const jobs = Array.from(
			{length: 8},
			(_, i) => ({attemptId: `run/T-${i}/a1`, ticket: `T-${i}`, branch: `proofloop/T-${i}`, base: 'main', startSha: start}) as AttemptJob,
		);
		git(source, 'push', '-q', remote, `main:refs/proofloop/base/main`, ...jobs.map(job => `${start}:${startRef(job.attemptId, start)}`));
		const clone = new WorkerClone(path.join(top, 'worker'), remote);
		await clone.open();
		// Each attempt's checkout made while others are removed (worktree prune), as attempts end and start.
		const made: boolean[] = [];
		await Promise.all(
			jobs.map(async job => {
				for (let round = 0; round < 3; round++) {
					made.push(existsSync(path.join(await clone.checkout(job), 'README.md')));
					await clone.remove(job);
				}
			}),
		);
		expect(made).toEqual(Array.from({length: 24}, () => true));
		expect(jobs.some(job => existsSync(clone.checkoutOf(job)))).toBe(false);
		expect(git(clone.root, 'worktree', 'list').split('\n')).toHaveLength(1);
	}, 60_000);
});
