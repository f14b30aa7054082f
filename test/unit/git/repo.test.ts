import {chmodSync, mkdirSync, readFileSync, renameSync} from 'node:fs';
import path from 'node:path';
import {afterEach, describe, expect, it} from 'vitest';
import {GitError, marksMerge, mergeMessage, openRepo} from '../../../source/git/index.js';
import {cleanup, commitFiles, git, makeDir, makeRepo, status, write} from './helpers.js';

afterEach(cleanup);

describe('openRepo', () => {
	it('finds the toplevel from a subdirectory', async () => {
		const dir = makeRepo();
		const repo = await openRepo(path.join(dir, 'src'));
		expect(repo.root).toBe(dir);
	});

	it('refuses a directory outside any repository, saying how to fix it', async () => {
		const dir = makeDir();
		const error = await openRepo(dir).catch((error_: unknown) => error_);
		expect(error).toBeInstanceOf(GitError);
		expect((error as Error).message).toBe(`${dir} is not inside a git repository; fix: git init && git add -A && git commit -m init`);
	});

	it('refuses a repository without commits', async () => {
		const dir = makeDir();
		git(dir, 'init', '-q', '-b', 'main');
		await expect(openRepo(dir)).rejects.toThrow(/has no commits yet; fix: commit something first/);
	});
});

describe('refs', () => {
	it('resolves refs, checks branches and ancestry', async () => {
		const dir = makeRepo();
		const repo = await openRepo(dir);
		const first = git(dir, 'rev-parse', 'HEAD');
		const second = commitFiles(dir, {'b.txt': 'b\n'});
		expect(await repo.revParse('main')).toBe(second);
		expect(await repo.revParse('HEAD~1')).toBe(first);
		expect(await repo.revParse('no-such-ref')).toBeUndefined();
		expect(await repo.revParse('--all')).toBeUndefined();
		expect(await repo.branchExists('main')).toBe(true);
		expect(await repo.branchExists('nope')).toBe(false);
		expect(await repo.isAncestor(first, 'main')).toBe(true);
		expect(await repo.isAncestor(second, first)).toBe(false);
		expect(await repo.isAncestor('0'.repeat(40), 'main')).toBe(false);
		await expect(repo.isAncestor(first, 'no-such-branch')).rejects.toThrow(GitError);
	});

	it('names worktrees and branches from ticket ids and rejects unsafe ids', async () => {
		const repo = await openRepo(makeRepo());
		expect(repo.worktreePath('T-1')).toBe(path.join(repo.root, '.proofloop', 'worktrees', 'T-1'));
		expect(repo.branchName('T-1')).toBe('proofloop/T-1');
		for (const bad of ['../x', 'a/b', '', '-x', 'a..b', 'x.lock', 'a b']) {
			expect(() => repo.worktreePath(bad)).toThrow(GitError);
		}
	});
});

describe('commitAll', () => {
	it('commits new, changed and deleted files, and returns undefined when clean', async () => {
		const repo = await openRepo(makeRepo());
		const {path: wt} = await repo.prepareWorktree('T-1', 'main');
		expect(await repo.commitAll(wt, 'nothing')).toBeUndefined();

		write(wt, 'new.txt', 'new\n');
		write(wt, 'README.md', 'changed\n');
		git(wt, 'rm', '-q', 'src/a.txt');
		const sha = await repo.commitAll(wt, 'T-1: work');
		expect(sha).toMatch(/^[0-9a-f]{40}$/);
		expect(git(wt, 'rev-parse', 'proofloop/T-1')).toBe(sha);
		expect(git(wt, 'log', '-1', '--format=%s')).toBe('T-1: work');
		expect(git(wt, 'show', '--name-status', '--format=', 'HEAD').split('\n').sort()).toEqual(['A\tnew.txt', 'D\tsrc/a.txt', 'M\tREADME.md']);
		expect(status(wt)).toEqual([]);
		expect(await repo.commitAll(wt, 'again')).toBeUndefined();
	});

	it('falls back to the proofloop identity when none is configured', async () => {
		const repo = await openRepo(makeRepo({identity: false}));
		const {path: wt} = await repo.prepareWorktree('T-1', 'main');
		write(wt, 'x.txt', 'x\n');
		const sha = await repo.commitAll(wt, 'work');
		expect(sha).toBeDefined();
		expect(git(wt, 'log', '-1', '--format=%an <%ae>|%cn <%ce>')).toBe('proofloop <proofloop@localhost>|proofloop <proofloop@localhost>');
	});

	it('works with an inherited EDITOR and PAGER (which simple-git would refuse)', async () => {
		const saved = {EDITOR: process.env.EDITOR, PAGER: process.env.PAGER};
		process.env.EDITOR = 'vim';
		process.env.PAGER = 'less';
		try {
			const repo = await openRepo(makeRepo());
			const {path: wt} = await repo.prepareWorktree('T-1', 'main');
			write(wt, 'x.txt', 'x\n');
			expect(await repo.commitAll(wt, 'work')).toBeDefined();
		} finally {
			for (const [key, value] of Object.entries(saved)) {
				if (value === undefined) delete process.env[key];
				else process.env[key] = value;
			}
		}
	});

	it('keeps a configured identity', async () => {
		const repo = await openRepo(makeRepo());
		const {path: wt} = await repo.prepareWorktree('T-1', 'main');
		write(wt, 'x.txt', 'x\n');
		await repo.commitAll(wt, 'work');
		expect(git(wt, 'log', '-1', '--format=%an <%ae>')).toBe('Test User <test@example.com>');
	});

	it('ignores a pre-commit hook that would reject the work', async () => {
		const dir = makeRepo();
		const repo = await openRepo(dir);
		write(dir, '.git/hooks/pre-commit', '#!/bin/sh\nexit 1\n');
		chmodSync(path.join(dir, '.git/hooks/pre-commit'), 0o755);
		const {path: wt} = await repo.prepareWorktree('T-1', 'main');
		write(wt, 'x.txt', 'x\n');
		git(wt, 'add', '-A');
		expect(() => git(wt, 'commit', '-q', '-m', 'plain')).toThrow(); // the hook is live
		expect(await repo.commitAll(wt, 'work')).toBeDefined();
	});
});

describe('trailers', () => {
	it('matches ticket and attempt exactly, in the last paragraph only', () => {
		const message = mergeMessage({ticketId: 'T-1', attempt: 3, title: 'x', workerHead: 'abc'});
		expect(marksMerge(message, 'T-1', 3)).toBe(true);
		expect(marksMerge(message, 'T-1', 30)).toBe(false);
		expect(marksMerge(message, 'T-', 3)).toBe(false);
		expect(marksMerge('Ticket: T-1\nAttempt: 3', 'T-1', 3)).toBe(false);
		expect(marksMerge('subject\n\nticket: T-1\nattempt: 3\n', 'T-1', 3)).toBe(true);
	});
});

describe('changedFiles', () => {
	it('lists what the branch changed since its fork point, renames as both paths', async () => {
		const dir = makeRepo();
		const repo = await openRepo(dir);
		const {path: wt} = await repo.prepareWorktree('T-1', 'main');
		mkdirSync(path.join(wt, 'docs'));
		renameSync(path.join(wt, 'src/a.txt'), path.join(wt, 'docs/a.txt'));
		write(wt, 'c.txt', 'c\n');
		await repo.commitAll(wt, 'move');
		// base moving on does not count as the branch's change
		commitFiles(dir, {'base-only.txt': 'b\n'});
		expect((await repo.changedFiles(wt, 'main')).sort()).toEqual(['c.txt', 'docs/a.txt', 'src/a.txt']);
		expect(readFileSync(path.join(wt, 'docs/a.txt'), 'utf8')).toBe('a1\na2\na3\n');
	});
});
