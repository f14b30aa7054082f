// The git layer answers some questions without a git process (#14): each answer
// must equal git's own, including the odd cases that make it ask git instead.
import {spawn} from 'node:child_process';
import {existsSync, readFileSync, rmSync, utimesSync, writeFileSync} from 'node:fs';
import path from 'node:path';
import {afterEach, describe, expect, it} from 'vitest';
import {openRepo, type Repo} from '../../../source/git/index.js';
import {checkoutsOf} from '../../../source/git/base-checkouts.js';
import {branchInHeadFile, branchInRefFiles, looseRefHolds} from '../../../source/git/ref-files.js';
import {commonDir, listWorktrees} from '../../../source/git/worktrees.js';
import {findRunProcesses} from '../../../source/process/orphans.js';
import {cleanup, git, makeRepo, status, write} from './helpers.js';

afterEach(cleanup);

async function work(repo: Repo, id: string, files: Record<string, string>): Promise<string> {
	const {path: wt} = await repo.prepareWorktree(id, 'main');
	for (const [file, text] of Object.entries(files)) write(wt, file, text);
	const sha = await repo.commitAll(wt, `${id}: work`);
	if (!sha) throw new Error('nothing committed');
	return sha;
}

describe('branches read from the ref files', () => {
	it('agrees with git for loose, packed, missing and nested names', async () => {
		const dir = makeRepo();
		const common = await commonDir(dir);
		git(dir, 'branch', 'proofloop/T-1');
		expect(branchInRefFiles(common, 'proofloop/T-1')).toBe(true);
		expect(branchInRefFiles(common, 'proofloop/T-10')).toBe(false);
		expect(branchInRefFiles(common, 'proofloop/T')).toBe(false);
		git(dir, 'pack-refs', '--all', '--prune');
		expect(readFileSync(path.join(common, 'packed-refs'), 'utf8')).toContain('refs/heads/proofloop/T-1\n');
		expect(branchInRefFiles(common, 'proofloop/T-1')).toBe(true);
		expect(branchInRefFiles(common, 'proofloop/T-')).toBe(false);
		git(dir, 'branch', '-D', 'proofloop/T-1');
		expect(branchInRefFiles(common, 'proofloop/T-1')).toBe(false);
		// A branch named like the directory of another: the nested name cannot exist loose.
		git(dir, 'branch', 'proofloop');
		expect(branchInRefFiles(common, 'proofloop/T-1')).toBe(false);
		expect(branchInRefFiles(common, 'proofloop')).toBe(true);
	});

	it('asks git for the reftable backend', async () => {
		const dir = makeRepo();
		const common = await commonDir(dir);
		writeFileSync(path.join(common, 'reftable'), '');
		expect(branchInRefFiles(common, 'main')).toBeUndefined();
	});
});

describe('the unchanged answer read from a loose ref file', () => {
	it('holds only while the loose file names that commit; packed, moved or another sha asks git', async () => {
		const dir = makeRepo();
		const common = await commonDir(dir);
		const tip = git(dir, 'rev-parse', 'main');
		expect(looseRefHolds(common, 'refs/heads/main', tip)).toBe(true);
		expect(
			looseRefHolds(
				common,
				'refs/heads/main',
				tip.replace(/^./, c => (c === 'a' ? 'b' : 'a')),
			),
		).toBe(false);
		git(dir, 'pack-refs', '--all', '--prune');
		expect(looseRefHolds(common, 'refs/heads/main', tip)).toBe(false);
		git(dir, 'commit', '-q', '--allow-empty', '-m', 'moved');
		expect(looseRefHolds(common, 'refs/heads/main', tip)).toBe(false);
		expect(looseRefHolds(common, 'refs/heads/main', git(dir, 'rev-parse', 'main'))).toBe(true);
	});
});

describe("a checkout's branch read from its HEAD file", () => {
	it('agrees with git symbolic-ref: on a branch, detached, and asks git for the main checkout', async () => {
		const dir = makeRepo();
		const linked = `${dir}-linked`;
		git(dir, 'worktree', 'add', '-q', '-b', 'proofloop/T-1', linked, 'main');
		try {
			expect(branchInHeadFile(linked)).toBe('proofloop/T-1');
			git(linked, 'switch', '-q', '--detach');
			expect(branchInHeadFile(linked)).toBe(false);
			git(linked, 'symbolic-ref', 'HEAD', 'refs/heads/elsewhere');
			expect(branchInHeadFile(linked)).toBe('elsewhere');
			expect(branchInHeadFile(dir)).toBeUndefined();
			// A branch that is itself a symref: git follows it, so the file answer steps aside.
			git(dir, 'branch', 'elsewhere');
			git(dir, 'symbolic-ref', 'refs/heads/elsewhere', 'refs/heads/main');
			expect(branchInHeadFile(linked)).toBeUndefined();
			const repo = await openRepo(dir);
			expect(await repo.currentBranch(dir)).toBe('main');
			expect(await repo.currentBranch(linked)).toBe('main');
		} finally {
			rmSync(linked, {recursive: true, force: true});
		}
	});
});

describe('checkouts of base read from the HEAD files', () => {
	it("equal git's list: the main checkout and linked ones on base, not detached, other-branch or deleted ones", async () => {
		const dir = makeRepo();
		const [other, detached, gone] = ['other', 'detached', 'gone'].map(name => `${dir}-${name}`) as [string, string, string];
		git(dir, 'branch', 'side');
		git(dir, 'worktree', 'add', '-q', other, 'side');
		git(dir, 'worktree', 'add', '-q', '--detach', detached, 'main');
		git(dir, 'worktree', 'add', '-q', '-b', 'x', gone, 'main');
		git(gone, 'switch', '-q', '--ignore-other-worktrees', 'main');
		rmSync(gone, {recursive: true, force: true});
		const byGit = async (base: string) => (await listWorktrees(dir)).filter(w => w.branch === base && !w.prunable && existsSync(w.path)).map(w => w.path);
		try {
			expect(await checkoutsOf(dir, 'main')).toEqual([dir]);
			git(dir, 'switch', '-q', '--detach');
			git(other, 'switch', '-q', '--ignore-other-worktrees', 'main');
			expect(await checkoutsOf(dir, 'main')).toEqual([other]);
			expect(await checkoutsOf(dir, 'side')).toEqual([]);
			for (const base of ['main', 'side', 'x']) expect(await checkoutsOf(dir, base)).toEqual(await byGit(base));
			// `side` made a symref to main (as `master` -> `main` is): git counts its checkout as one of main, and so do we.
			git(other, 'switch', '-q', '--ignore-other-worktrees', 'side');
			git(dir, 'symbolic-ref', 'refs/heads/side', 'refs/heads/main');
			expect(await checkoutsOf(dir, 'main')).toEqual([other]);
			for (const base of ['main', 'side']) expect(await checkoutsOf(dir, base)).toEqual(await byGit(base));
		} finally {
			for (const p of [other, detached]) rmSync(p, {recursive: true, force: true});
		}
	});
});

describe("the sync of the user's checkout", () => {
	it('brings the merge into a checkout whose files were only touched (stat data stale)', async () => {
		const dir = makeRepo();
		const repo = await openRepo(dir);
		await work(repo, 'T-1', {'src/a.txt': 'a1\na2 merged\na3\n'});
		// Same bytes, new times: a read-tree without fresh stat data calls this file "not uptodate".
		const file = path.join(dir, 'src/a.txt');
		const later = new Date(Date.now() + 5000);
		utimesSync(file, later, later);
		const result = await repo.mergeToBase({ticketId: 'T-1', attempt: 1, title: 't', base: 'main'});
		expect(result).toMatchObject({kind: 'merged', warnings: []});
		expect(readFileSync(file, 'utf8')).toBe('a1\na2 merged\na3\n');
		expect(status(dir)).toEqual([]);
		expect(git(dir, 'symbolic-ref', 'HEAD')).toBe('refs/heads/main');
	});
});

describe('the merge on a watched base', () => {
	it('reads base once per run, and still refuses a foreign move made after the last merge', async () => {
		const dir = makeRepo();
		const repo = await openRepo(dir);
		repo.watchBase('main', git(dir, 'rev-parse', 'main'));
		await work(repo, 'T-1', {'one.txt': '1\n'});
		expect(await repo.mergeToBase({ticketId: 'T-1', attempt: 1, title: 't', base: 'main'})).toMatchObject({kind: 'merged'});
		await work(repo, 'T-2', {'two.txt': '2\n'});
		const ours = git(dir, 'rev-parse', 'main');
		git(dir, 'commit', '-q', '--allow-empty', '-m', 'a person commits on main');
		const foreign = git(dir, 'rev-parse', 'main');
		expect(await repo.mergeToBase({ticketId: 'T-2', attempt: 1, title: 't', base: 'main'})).toEqual({kind: 'foreign', expected: ours, tip: foreign});
		expect(git(dir, 'rev-parse', 'main')).toBe(foreign);
	});
	it('names a foreign move even when the merge would change nothing (no swap to fail)', async () => {
		const dir = makeRepo();
		const repo = await openRepo(dir);
		const ours = git(dir, 'rev-parse', 'main');
		repo.watchBase('main', ours);
		const {path: wt} = await repo.prepareWorktree('T-1', 'main');
		git(wt, 'commit', '-q', '--allow-empty', '-m', 'T-1: nothing');
		git(dir, 'commit', '-q', '--allow-empty', '-m', 'a person commits on main');
		const foreign = git(dir, 'rev-parse', 'main');
		expect(await repo.mergeToBase({ticketId: 'T-1', attempt: 1, title: 't', base: 'main'})).toEqual({kind: 'foreign', expected: ours, tip: foreign});
	});
});

describe('the run marker scan', () => {
	it('finds a process whose marker is the first, a middle or the last variable, and not a longer run id', async () => {
		const run = `gc-${process.pid}-${Date.now()}`;
		const start = (env: Record<string, string>) => spawn('/bin/sleep', ['30'], {env, stdio: 'ignore'});
		const first = start({PROOFLOOP_RUN_ID: run, A: '1', PROOFLOOP_TICKET: 'T-1'});
		const last = start({A: '1', PROOFLOOP_TICKET: 'T-1', PROOFLOOP_RUN_ID: run});
		const longer = start({PROOFLOOP_RUN_ID: `${run}x`, PROOFLOOP_TICKET: 'T-1'});
		const otherTicket = start({PROOFLOOP_RUN_ID: run, PROOFLOOP_TICKET: 'T-10'});
		try {
			await new Promise(resolve => setTimeout(resolve, 200));
			expect(findRunProcesses(run, 'T-1').sort()).toEqual([first.pid, last.pid].sort());
			expect(findRunProcesses(run).sort()).toEqual([first.pid, last.pid, otherTicket.pid].sort());
		} finally {
			for (const child of [first, last, longer, otherTicket]) child.kill('SIGKILL');
		}
	});
});
