import {execFileSync} from 'node:child_process';
import {existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync} from 'node:fs';
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

	it('cleans up after the job has completed: the checkout, its branch and its start ref go, and settled() waits for that', async () => {
		const {clone, job, remote} = await oneJob();
		const checkout = await clone.checkout(job);
		expect(existsSync(path.join(checkout, 'README.md'))).toBe(true);
		clone.cleanUpLater(job);
		await clone.settled();
		expect(existsSync(checkout)).toBe(false);
		expect(git(clone.root, 'worktree', 'list').split('\n')).toHaveLength(1);
		expect(git(clone.root, 'branch', '--list', job.branch)).toBe('');
		expect(git(clone.root, 'for-each-ref', 'refs/proofloop/start')).toBe('');
		// The remote's start ref is the coordinator's to drop, not the worker's.
		expect(git(remote, 'for-each-ref', 'refs/proofloop/start')).not.toBe('');
	}, 60_000);

	it("makes a fresh checkout over what a killed worker's attempt left (its directory with files in it, or only git's record of it)", async () => {
		const {clone, job} = await oneJob();
		const first = await clone.checkout(job);
		writeFileSync(path.join(first, 'stray.txt'), 'from the killed attempt\n');
		const again = await clone.checkout(job);
		expect(existsSync(path.join(again, 'stray.txt'))).toBe(false);
		expect(existsSync(path.join(again, 'README.md'))).toBe(true);
		// The directory gone, git's record of it kept (killed between the two): the branch is still "checked out" there.
		rmSync(again, {recursive: true, force: true});
		expect(existsSync(path.join(await clone.checkout(job), 'README.md'))).toBe(true);
		expect(git(clone.root, 'worktree', 'list').split('\n')).toHaveLength(2);
	}, 60_000);

	it('fetches the start alone when the remote has no base ref, and refuses a start ref holding another commit than the job names', async () => {
		const {clone, job, remote, source} = await oneJob({base: false});
		expect(existsSync(path.join(await clone.checkout(job), 'README.md'))).toBe(true);
		writeFileSync(path.join(source, 'other.txt'), 'x\n');
		git(source, 'add', '-A');
		git(source, '-c', 'user.name=t', '-c', 'user.email=t@t.invalid', 'commit', '-qm', 'other');
		const other = {...job, attemptId: 'run/T-1/a2'} as AttemptJob;
		git(source, 'push', '-q', remote, `HEAD:${startRef(other.attemptId, job.startSha)}`);
		await expect(clone.checkout(other)).rejects.toThrow(`not the job's start ${job.startSha}`);
	}, 60_000);

	it("reads an attempt's head as git does: the branch's loose ref, else git (a packed ref, a symref an agent wrote)", async () => {
		const {clone, job} = await oneJob();
		const checkout = await clone.checkout(job);
		writeFileSync(path.join(checkout, 'work.txt'), 'w\n');
		git(checkout, 'add', '-A');
		git(checkout, '-c', 'user.name=t', '-c', 'user.email=t@t.invalid', 'commit', '-qm', 'work');
		const head = git(checkout, 'rev-parse', 'HEAD');
		expect(head).not.toBe(job.startSha);
		expect(await clone.tipOf(checkout, job.branch)).toBe(head);
		git(clone.root, 'pack-refs', '--all');
		expect(await clone.tipOf(checkout, job.branch)).toBe(head);
		git(clone.root, 'branch', '-q', 'other', job.startSha);
		mkdirSync(path.join(clone.root, '.git', 'refs', 'heads', 'proofloop'), {recursive: true});
		writeFileSync(path.join(clone.root, '.git', 'refs', 'heads', 'proofloop', 'T-1'), 'ref: refs/heads/other\n');
		expect(await clone.tipOf(checkout, job.branch)).toBe(job.startSha);
	}, 60_000);
});

/** A source repository, a bare remote holding one job's start ref (and base, unless told), a worker clone opened on it. */
async function oneJob(opts: {base?: boolean} = {}) {
	const top = mkdtempSync(path.join(tmpdir(), 'pl-worker-clone-'));
	const source = path.join(top, 'source');
	const remote = path.join(top, 'remote.git');
	execFileSync('git', ['init', '-q', '-b', 'main', source]);
	writeFileSync(path.join(source, 'README.md'), '# r\n');
	git(source, 'add', '-A');
	git(source, '-c', 'user.name=t', '-c', 'user.email=t@t.invalid', 'commit', '-qm', 'init');
	execFileSync('git', ['init', '-q', '--bare', remote]);
	const start = git(source, 'rev-parse', 'HEAD');
	const job = {attemptId: 'run/T-1/a1', ticket: 'T-1', branch: 'proofloop/T-1', base: 'main', startSha: start} as AttemptJob;
	git(source, 'push', '-q', remote, ...(opts.base === false ? [] : ['main:refs/proofloop/base/main']), `${start}:${startRef(job.attemptId, start)}`);
	const clone = new WorkerClone(path.join(top, 'worker'), remote);
	await clone.open();
	return {clone, job, remote, source};
}
