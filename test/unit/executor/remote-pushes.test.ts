import {execFileSync} from 'node:child_process';
import {existsSync, mkdtempSync, readFileSync, writeFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import path from 'node:path';
import {describe, expect, it} from 'vitest';

const git = (cwd: string, ...args: string[]) => execFileSync('git', args, {cwd, encoding: 'utf8'}).trim();

// Every git process this file's code runs, one JSON line each (git/run.ts reads the variable when it loads).
const calls = path.join(mkdtempSync(path.join(tmpdir(), 'pl-pushes-log-')), 'git.jsonl');
process.env['PROOFLOOP_GIT_LOG'] = calls;
const {pushLane} = await import('../../../source/executor/remote-pushes.js');
const {WorkerClone} = await import('../../../source/queue/worker-clone.js');
const {startRef} = await import('../../../source/queue/protocol.js');

const callsOf = (verb: string, where: (args: string[], cwd: string) => boolean) =>
	existsSync(calls)
		? readFileSync(calls, 'utf8')
				.trim()
				.split('\n')
				.map(line => JSON.parse(line) as {args: string[]; cwd: string})
				.filter(call => call.args[0] === verb && where(call.args, call.cwd)).length
		: 0;
const pushesTo = (remote: string) => callsOf('push', args => args.includes(remote));

function repoAndRemote() {
	const top = mkdtempSync(path.join(tmpdir(), 'pl-pushes-'));
	const repo = path.join(top, 'repo');
	const remote = path.join(top, 'remote.git');
	execFileSync('git', ['init', '-q', '-b', 'main', repo]);
	writeFileSync(path.join(repo, 'README.md'), '# r\n');
	git(repo, 'add', '-A');
	git(repo, '-c', 'user.name=t', '-c', 'user.email=t@t.invalid', 'commit', '-qm', 'init');
	execFileSync('git', ['init', '-q', '--bare', remote]);
	return {repo, remote, head: git(repo, 'rev-parse', 'HEAD')};
}

describe('git conversations with the shared remote, asked for at once', () => {
	it('pushes asked for while one runs go together in the next: six starts at once cost two pushes, and all arrive', async () => {
		const {repo, remote, head} = repoAndRemote();
		const push = pushLane(repo, remote);
		const results = await Promise.all(
			Array.from({length: 6}, (_, i) => push(['+refs/heads/main:refs/proofloop/base/main', `+${head}:refs/proofloop/start/run/T-${i}/a1/${head}`])),
		);
		expect(results.map(result => result.exitCode)).toEqual([0, 0, 0, 0, 0, 0]);
		expect(git(remote, 'for-each-ref', '--format=%(refname)', 'refs/proofloop/start').split('\n')).toHaveLength(6);
		expect(git(remote, 'rev-parse', 'refs/proofloop/base/main')).toBe(head);
		expect(pushesTo(remote)).toBe(2);
	}, 60_000);

	it('a push that fails together is tried alone: only the request whose ref cannot go fails', async () => {
		const {repo, remote, head} = repoAndRemote();
		const push = pushLane(repo, remote);
		const first = push([`+${head}:refs/proofloop/start/run/T-0/a1/${head}`]);
		// Both asked for while the first runs: together they fail (no such local branch), alone only the bad one does.
		const [good, bad] = await Promise.all([push([`+${head}:refs/proofloop/start/run/T-1/a1/${head}`]), push(['+refs/heads/nope:refs/proofloop/base/nope'])]);
		expect((await first).exitCode).toBe(0);
		expect(good.exitCode).toBe(0);
		expect(bad.exitCode).not.toBe(0);
		expect(git(remote, 'for-each-ref', '--format=%(refname)', 'refs/proofloop/start').split('\n')).toHaveLength(2);
	}, 60_000);

	it("a worker's jobs taken at once fetch their starts together: six checkouts, two fetches, each at its own start", async () => {
		const {repo, remote, head} = repoAndRemote();
		const jobs = Array.from({length: 6}, (_, i) => ({attemptId: `run/T-${i}/a1`, ticket: `T-${i}`, branch: `proofloop/T-${i}`, base: 'main', startSha: head}));
		git(repo, 'push', '-q', remote, 'main:refs/proofloop/base/main', ...jobs.map(job => `${head}:${startRef(job.attemptId, head)}`));
		const clone = new WorkerClone(path.join(path.dirname(remote), 'worker'), remote);
		await clone.open();
		const checkouts = await Promise.all(jobs.map(job => clone.checkout(job as Parameters<typeof clone.checkout>[0])));
		expect(checkouts.map(checkout => git(checkout, 'rev-parse', 'HEAD'))).toEqual(jobs.map(() => head));
		expect(callsOf('fetch', (_, cwd) => cwd === clone.root)).toBe(2);
	}, 60_000);
});
