import {existsSync, readFileSync, renameSync, rmSync, utimesSync, writeFileSync} from 'node:fs';
import path from 'node:path';
import {afterEach, describe, expect, it} from 'vitest';
import {GitError, openRepo} from '../../../source/git/index.js';
import {removeStaleLocks} from '../../../source/git/worktrees.js';
import {cleanup, commitFiles, git, makeRepo, status, write} from './helpers.js';

afterEach(cleanup);

describe('prepareWorktree', () => {
	it('creates the checkout on a new branch from base, and reuses it', async () => {
		const dir = makeRepo();
		const repo = await openRepo(dir);
		const first = await repo.prepareWorktree('T-1', 'main');
		expect(first).toEqual({path: repo.worktreePath('T-1'), branch: 'proofloop/T-1', created: true});
		expect(git(first.path, 'symbolic-ref', 'HEAD')).toBe('refs/heads/proofloop/T-1');
		expect(git(first.path, 'rev-parse', 'HEAD')).toBe(git(dir, 'rev-parse', 'main'));
		const listed = await repo.listWorktrees();
		expect(listed.find(w => w.path === first.path)).toMatchObject({branch: 'proofloop/T-1'});
		expect(listed.find(w => w.path === dir)).toMatchObject({branch: 'main'});
		// The user's checkout does not see ours as untracked files.
		expect(status(dir)).toEqual([]);

		const second = await repo.prepareWorktree('T-1', 'main');
		expect(second).toEqual({...first, created: false});
	});

	it('keeps committed work and discards uncommitted leftovers of an interrupted attempt', async () => {
		const repo = await openRepo(makeRepo());
		const {path: wt} = await repo.prepareWorktree('T-1', 'main');
		write(wt, 'kept.txt', 'kept\n');
		const committed = await repo.commitAll(wt, 'work');
		write(wt, 'README.md', 'half-done edit\n');
		write(wt, 'scratch/tmp.txt', 'untracked\n');
		git(wt, 'add', 'scratch/tmp.txt');
		write(wt, 'more.txt', 'untracked too\n');

		const again = await repo.prepareWorktree('T-1', 'main');
		expect(again.created).toBe(false);
		expect(git(wt, 'rev-parse', 'HEAD')).toBe(committed);
		expect(status(wt)).toEqual([]);
		expect(readFileSync(path.join(wt, 'README.md'), 'utf8')).toBe('hello\n');
		expect(existsSync(path.join(wt, 'more.txt'))).toBe(false);
		expect(existsSync(path.join(wt, 'kept.txt'))).toBe(true);
	});

	it('repairs a checkout whose directory was deleted by hand', async () => {
		const repo = await openRepo(makeRepo());
		const {path: wt} = await repo.prepareWorktree('T-1', 'main');
		write(wt, 'work.txt', 'w\n');
		const committed = await repo.commitAll(wt, 'work');
		rmSync(wt, {recursive: true, force: true});

		const repaired = await repo.prepareWorktree('T-1', 'main');
		expect(repaired.created).toBe(true);
		expect(git(wt, 'rev-parse', 'HEAD')).toBe(committed);
		expect(readFileSync(path.join(wt, 'work.txt'), 'utf8')).toBe('w\n');
		expect((await repo.listWorktrees()).filter(w => w.path === wt)).toHaveLength(1);
	});

	it('repairs a locked checkout whose directory is gone', async () => {
		const repo = await openRepo(makeRepo());
		const {path: wt} = await repo.prepareWorktree('T-1', 'main');
		git(repo.root, 'worktree', 'lock', '--reason', 'testing', wt);
		rmSync(wt, {recursive: true, force: true});
		const repaired = await repo.prepareWorktree('T-1', 'main');
		expect(repaired.created).toBe(true);
		expect(status(wt)).toEqual([]);
	});

	it('replaces a directory git does not know as a checkout', async () => {
		const repo = await openRepo(makeRepo());
		const wt = repo.worktreePath('T-1');
		write(wt, 'junk.txt', 'left behind\n');
		const prepared = await repo.prepareWorktree('T-1', 'main');
		expect(prepared.created).toBe(true);
		expect(existsSync(path.join(wt, 'junk.txt'))).toBe(false);
		expect(git(wt, 'symbolic-ref', 'HEAD')).toBe('refs/heads/proofloop/T-1');
	});

	it('removes a stale index.lock left by a killed git', async () => {
		const repo = await openRepo(makeRepo());
		const {path: wt} = await repo.prepareWorktree('T-1', 'main');
		const lock = path.join(git(wt, 'rev-parse', '--absolute-git-dir'), 'index.lock');
		writeFileSync(lock, '');
		write(wt, 'x.txt', 'x\n');
		expect(() => git(wt, 'add', '-A')).toThrow(/index\.lock/);

		await repo.prepareWorktree('T-1', 'main');
		expect(existsSync(lock)).toBe(false);
		write(wt, 'x.txt', 'x\n');
		expect(await repo.commitAll(wt, 'after the lock')).toBeDefined();
	});

	it('removes the HEAD.lock and branch ref lock a git killed mid-update leaves', async () => {
		const repo = await openRepo(makeRepo());
		const {path: wt} = await repo.prepareWorktree('T-1', 'main');
		const gitDir = git(wt, 'rev-parse', '--absolute-git-dir');
		const common = git(wt, 'rev-parse', '--path-format=absolute', '--git-common-dir');
		const locks = [path.join(gitDir, 'HEAD.lock'), path.join(common, 'refs/heads/proofloop/T-1.lock')];
		for (const lock of locks) writeFileSync(lock, '');
		write(wt, 'x.txt', 'x\n');
		expect(() => git(wt, 'reset', '--hard', 'HEAD')).toThrow(/HEAD\.lock/);

		await repo.prepareWorktree('T-1', 'main');
		for (const lock of locks) expect(existsSync(lock)).toBe(false);
		write(wt, 'x.txt', 'x\n');
		expect(await repo.commitAll(wt, 'after the locks')).toBeDefined();
	});

	it('leaves a branch ref lock that another git takes and gives back meanwhile: only one unchanged for the whole settle time is stale', async () => {
		const repo = await openRepo(makeRepo());
		const {path: wt} = await repo.prepareWorktree('T-1', 'main');
		const common = git(wt, 'rev-parse', '--path-format=absolute', '--git-common-dir');
		const lock = path.join(common, 'refs/heads/proofloop/T-1.lock');
		writeFileSync(lock, '');
		// Mid-wait, "gc" releases that lock and takes a new one (a new file).
		setTimeout(() => {
			rmSync(lock);
			writeFileSync(`${lock}.new`, '');
			renameSync(`${lock}.new`, lock);
		}, 100);
		expect(await removeStaleLocks(wt, 'proofloop/T-1', 400)).toEqual([]);
		expect(existsSync(lock)).toBe(true);
		// Unchanged for the settle time: stale, removed.
		expect(await removeStaleLocks(wt, 'proofloop/T-1', 400)).toEqual([lock]);
	});

	it('a ref lock dated in the future (an agent can write there) is waited on for the settle time at most', async () => {
		const repo = await openRepo(makeRepo());
		const {path: wt} = await repo.prepareWorktree('T-1', 'main');
		const common = git(wt, 'rev-parse', '--path-format=absolute', '--git-common-dir');
		const lock = path.join(common, 'refs/heads/proofloop/T-1.lock');
		writeFileSync(lock, '');
		const future = new Date(Date.now() + 3_600_000);
		utimesSync(lock, future, future);
		const began = Date.now();
		expect(await removeStaleLocks(wt, 'proofloop/T-1', 300)).toEqual([lock]);
		expect(Date.now() - began).toBeLessThan(3000);
	});

	it('fast-forwards a branch without its own commits to the newest base', async () => {
		const dir = makeRepo();
		const repo = await openRepo(dir);
		const {path: wt} = await repo.prepareWorktree('T-1', 'main');
		const newest = commitFiles(dir, {'later.txt': 'later\n'});
		await repo.prepareWorktree('T-1', 'main');
		expect(git(wt, 'rev-parse', 'HEAD')).toBe(newest);
		expect(git(wt, 'symbolic-ref', 'HEAD')).toBe('refs/heads/proofloop/T-1');
		// base itself was read, never checked out
		expect(git(dir, 'symbolic-ref', 'HEAD')).toBe('refs/heads/main');
	});

	it('merges the newest base into a branch with its own commits', async () => {
		const dir = makeRepo();
		const repo = await openRepo(dir);
		const {path: wt} = await repo.prepareWorktree('T-1', 'main');
		write(wt, 'mine.txt', 'mine\n');
		const mine = await repo.commitAll(wt, 'mine');
		const theirs = commitFiles(dir, {'theirs.txt': 'theirs\n'});
		const prepared = await repo.prepareWorktree('T-1', 'main');
		expect(prepared.conflict).toBeUndefined();
		expect(git(wt, 'rev-parse', 'HEAD^1', 'HEAD^2').split('\n')).toEqual([mine, theirs]);
		expect(existsSync(path.join(wt, 'theirs.txt'))).toBe(true);
		expect(status(wt)).toEqual([]);
	});

	it('reports conflicting paths when base cannot be merged in, leaving the branch clean at its head', async () => {
		const dir = makeRepo();
		const repo = await openRepo(dir);
		const {path: wt} = await repo.prepareWorktree('T-1', 'main');
		write(wt, 'src/a.txt', 'ticket version\n');
		write(wt, 'README.md', 'ticket readme\n');
		const mine = await repo.commitAll(wt, 'mine');
		commitFiles(dir, {'src/a.txt': 'base version\n', 'README.md': 'base readme\n'});

		const prepared = await repo.prepareWorktree('T-1', 'main');
		expect(prepared.conflict?.sort()).toEqual(['README.md', 'src/a.txt']);
		expect(git(wt, 'rev-parse', 'HEAD')).toBe(mine);
		expect(status(wt)).toEqual([]);
		expect(existsSync(path.join(git(wt, 'rev-parse', '--absolute-git-dir'), 'MERGE_HEAD'))).toBe(false);
		expect(readFileSync(path.join(wt, 'src/a.txt'), 'utf8')).toBe('ticket version\n');
	});

	it('brings back a checkout an agent left detached in the middle of a merge', async () => {
		const dir = makeRepo();
		const repo = await openRepo(dir);
		const {path: wt} = await repo.prepareWorktree('T-1', 'main');
		write(wt, 'src/a.txt', 'mine\n');
		const mine = await repo.commitAll(wt, 'mine');
		git(wt, 'switch', '-q', '--detach', 'main');
		commitFiles(wt, {'src/a.txt': 'detached\n'});
		expect(() => git(wt, 'merge', '-q', 'proofloop/T-1')).toThrow();

		const prepared = await repo.prepareWorktree('T-1', 'main');
		expect(prepared.conflict).toBeUndefined();
		expect(git(wt, 'symbolic-ref', 'HEAD')).toBe('refs/heads/proofloop/T-1');
		expect(git(wt, 'rev-parse', 'HEAD')).toBe(mine);
		expect(status(wt)).toEqual([]);
	});

	it('refuses when the branch is checked out somewhere else', async () => {
		const dir = makeRepo();
		const repo = await openRepo(dir);
		git(dir, 'branch', 'proofloop/T-1');
		git(dir, 'switch', '-q', 'proofloop/T-1');
		await expect(repo.prepareWorktree('T-1', 'main')).rejects.toThrow(/is checked out at .*; fix:/);
	});

	it('starts from the base branch, not a tag (or .git file) named like it, fresh and after a repair', async () => {
		const dir = makeRepo();
		const repo = await openRepo(dir);
		const main = git(dir, 'rev-parse', 'main');
		git(dir, 'checkout', '-q', '--detach');
		commitFiles(dir, {'smuggled.txt': 'not reviewed\n'}, 'elsewhere');
		git(dir, 'tag', 'main');
		writeFileSync(path.join(dir, '.git', 'main'), `${git(dir, 'rev-parse', 'HEAD')}\n`);
		git(dir, 'checkout', '-q', 'refs/heads/main');
		const fresh = await repo.prepareWorktree('T-1', 'main');
		expect(git(fresh.path, 'rev-parse', 'HEAD')).toBe(main);
		rmSync(fresh.path, {recursive: true, force: true});
		const repaired = await repo.prepareWorktree('T-1', 'main');
		expect(git(repaired.path, 'rev-parse', 'HEAD')).toBe(main);
	});

	it('refuses an unknown base', async () => {
		const repo = await openRepo(makeRepo());
		await expect(repo.prepareWorktree('T-1', 'nope')).rejects.toThrow(GitError);
	});
});

describe('listWorktrees', () => {
	it('reports branch, head, lock reason and prunable checkouts', async () => {
		const repo = await openRepo(makeRepo());
		const {path: locked} = await repo.prepareWorktree('T-1', 'main');
		git(repo.root, 'worktree', 'lock', '--reason', 'agent running', locked);
		const {path: gone} = await repo.prepareWorktree('T-2', 'main');
		rmSync(gone, {recursive: true, force: true});
		const list = await repo.listWorktrees();
		expect(list.find(w => w.path === locked)).toEqual({
			path: locked,
			branch: 'proofloop/T-1',
			head: git(repo.root, 'rev-parse', 'main'),
			locked: 'agent running',
		});
		expect(list.find(w => w.path === gone)?.prunable).toMatch(/gitdir file points to non-existent location/);
	});
});

describe('removeWorktree', () => {
	it('removes the checkout and its branch, and is fine when both are gone', async () => {
		const repo = await openRepo(makeRepo());
		const {path: wt} = await repo.prepareWorktree('T-1', 'main');
		write(wt, 'dirty.txt', 'uncommitted\n');
		await repo.removeWorktree('T-1');
		expect(existsSync(wt)).toBe(false);
		expect(await repo.branchExists('proofloop/T-1')).toBe(false);
		expect((await repo.listWorktrees()).map(w => w.path)).toEqual([repo.root]);
		await repo.removeWorktree('T-1');
		await repo.removeWorktree('never-existed');
	});

	it('removes a checkout deleted by hand, and a locked one, leaving no metadata behind', async () => {
		const repo = await openRepo(makeRepo());
		const {path: gone} = await repo.prepareWorktree('T-1', 'main');
		rmSync(gone, {recursive: true, force: true});
		const {path: locked} = await repo.prepareWorktree('T-2', 'main');
		git(repo.root, 'worktree', 'lock', '--reason', 'agent running', locked);
		await repo.removeWorktree('T-1');
		await repo.removeWorktree('T-2');
		expect(existsSync(locked)).toBe(false);
		expect((await repo.listWorktrees()).map(w => w.path)).toEqual([repo.root]);
		expect(await repo.branchExists('proofloop/T-1')).toBe(false);
		expect(await repo.branchExists('proofloop/T-2')).toBe(false);
	});
});

describe('withDetachedCheckout', () => {
	it('runs fn in a detached checkout at sha and removes it afterwards', async () => {
		const dir = makeRepo();
		const repo = await openRepo(dir);
		const first = git(dir, 'rev-parse', 'HEAD');
		commitFiles(dir, {'later.txt': 'later\n'});
		const seen = await repo.withDetachedCheckout('verify-T-1', first, async checkout => {
			expect(checkout).toBe(repo.worktreePath('verify-T-1'));
			expect(existsSync(path.join(checkout, 'later.txt'))).toBe(false);
			return git(checkout, 'rev-parse', 'HEAD') + (git(checkout, 'branch', '--show-current') === '' ? ' detached' : '');
		});
		expect(seen).toBe(`${first} detached`);
		expect(existsSync(repo.worktreePath('verify-T-1'))).toBe(false);
		expect((await repo.listWorktrees()).map(w => w.path)).toEqual([repo.root]);
	});

	it('cleans up when fn throws, and replaces a leftover checkout', async () => {
		const repo = await openRepo(makeRepo());
		const sha = git(repo.root, 'rev-parse', 'HEAD');
		const leftover = repo.worktreePath('verify');
		git(repo.root, 'worktree', 'add', '-q', '--detach', leftover, sha);
		write(leftover, 'junk.txt', 'junk\n');

		await expect(
			repo.withDetachedCheckout('verify', sha, async checkout => {
				expect(existsSync(path.join(checkout, 'junk.txt'))).toBe(false);
				throw new Error('verify failed');
			}),
		).rejects.toThrow('verify failed');
		expect(existsSync(leftover)).toBe(false);
		expect((await repo.listWorktrees()).map(w => w.path)).toEqual([repo.root]);
	});

	it('replaces a stale registration whose directory is gone, also one git filed under a suffixed name', async () => {
		const repo = await openRepo(makeRepo());
		const sha = git(repo.root, 'rev-parse', 'HEAD');
		const target = repo.worktreePath('T-1.verify');
		// A crash left the path registered (locked, so a prune keeps it) with no directory...
		git(repo.root, 'worktree', 'add', '-q', '--detach', target, sha);
		git(repo.root, 'worktree', 'lock', target);
		rmSync(target, {recursive: true, force: true});
		// ...and its metadata sits under a suffixed name, so the cheap "path is free" look sees nothing.
		const admin = path.join(repo.root, '.git', 'worktrees');
		renameSync(path.join(admin, 'T-1.verify'), path.join(admin, 'T-1.verify1'));
		const seen = await repo.withDetachedCheckout('T-1.verify', sha, async checkout => git(checkout, 'rev-parse', 'HEAD'));
		expect(seen).toBe(sha);
		expect(existsSync(target)).toBe(false);
		expect((await repo.listWorktrees()).map(w => w.path)).toEqual([repo.root]);
	});
});
