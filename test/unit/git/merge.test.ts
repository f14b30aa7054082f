import {execSync} from 'node:child_process';
import {existsSync, readFileSync} from 'node:fs';
import path from 'node:path';
import {afterEach, describe, expect, it} from 'vitest';
import {GitError, openRepo, type Repo} from '../../../source/git/index.js';
import {cleanup, commitFiles, git, makeRepo, status, write} from './helpers.js';

afterEach(cleanup);

/** Prepares a ticket's checkout, writes files there and commits them. */
async function work(repo: Repo, id: string, files: Record<string, string>): Promise<string> {
	const {path: wt} = await repo.prepareWorktree(id, 'main');
	for (const [file, text] of Object.entries(files)) write(wt, file, text);
	const sha = await repo.commitAll(wt, `${id}: work`);
	if (!sha) throw new Error('nothing committed');
	return sha;
}

describe('mergeToBase', () => {
	it('lands a merge commit with two parents and the trailers, moves base, and findMerge finds it', async () => {
		const dir = makeRepo();
		const repo = await openRepo(dir);
		const head = await work(repo, 'T-1', {'feature.txt': 'feature\n'});
		const old = git(dir, 'rev-parse', 'main');

		const result = await repo.mergeToBase({ticketId: 'T-1', attempt: 2, title: 'Add the\nfeature', base: 'main'});
		expect(result).toMatchObject({kind: 'merged', parent: old, warnings: []});
		if (result.kind !== 'merged') return;
		expect(git(dir, 'rev-parse', 'main')).toBe(result.sha);
		expect(git(dir, 'rev-parse', `${result.sha}^1`, `${result.sha}^2`).split('\n')).toEqual([old, head]);
		expect(git(dir, 'log', '-1', '--format=%B', result.sha)).toBe(`proofloop: merge T-1: Add the feature\n\nTicket: T-1\nAttempt: 2\nWorker-Head: ${head}`);
		// git itself reads them as trailers
		expect(git(dir, 'log', '-1', '--format=%(trailers:key=Ticket,valueonly,separator=%x2C)|%(trailers:key=Attempt,valueonly)', result.sha)).toBe('T-1|2');
		expect(await repo.isAncestor(head, 'main')).toBe(true);

		expect(await repo.findMerge('T-1', 2, 'main')).toBe(result.sha);
		expect(await repo.findMerge('T-1', 1, 'main')).toBeUndefined();
		expect(await repo.findMerge('T-10', 2, 'main')).toBeUndefined();
		expect(await repo.findMerge('T-1', 2, 'no-such-base')).toBeUndefined();
	});

	it('tells T-1 from T-10 and ignores trailers that arrived through a worker branch', async () => {
		const dir = makeRepo();
		const repo = await openRepo(dir);
		await work(repo, 'T-10', {'ten.txt': '10\n'});
		// A worker writes a commit that pretends to be T-1's merge.
		const {path: wt} = await repo.prepareWorktree('T-10', 'main');
		write(wt, 'forged.txt', 'x\n');
		await repo.commitAll(wt, 'forged\n\nTicket: T-1\nAttempt: 1');
		const merged = await repo.mergeToBase({ticketId: 'T-10', attempt: 1, title: 'ten', base: 'main'});
		expect(merged.kind).toBe('merged');
		expect(await repo.findMerge('T-10', 1, 'main')).toBe(git(dir, 'rev-parse', 'main'));
		expect(await repo.findMerge('T-1', 1, 'main')).toBeUndefined();
	});

	it('merges onto a base that moved since the branch forked', async () => {
		const dir = makeRepo();
		const repo = await openRepo(dir);
		const head = await work(repo, 'T-1', {'feature.txt': 'feature\n'});
		const moved = commitFiles(dir, {'other.txt': 'other\n'});
		const result = await repo.mergeToBase({ticketId: 'T-1', attempt: 1, title: 't', base: 'main'});
		expect(result).toMatchObject({kind: 'merged', parent: moved});
		expect(git(dir, 'ls-tree', '--name-only', 'main').split('\n')).toEqual(expect.arrayContaining(['feature.txt', 'other.txt']));
		expect(await repo.isAncestor(head, 'main')).toBe(true);
	});

	it('returns empty when the merge would change nothing', async () => {
		const dir = makeRepo();
		const repo = await openRepo(dir);
		await repo.prepareWorktree('T-1', 'main');
		const before = git(dir, 'rev-parse', 'main');
		expect(await repo.mergeToBase({ticketId: 'T-1', attempt: 1, title: 'nothing', base: 'main'})).toEqual({kind: 'empty'});

		// A branch whose change base already has is empty too.
		const {path: wt} = await repo.prepareWorktree('T-2', 'main');
		write(wt, 'same.txt', 'same\n');
		await repo.commitAll(wt, 'same');
		const now = commitFiles(dir, {'same.txt': 'same\n'});
		expect(await repo.mergeToBase({ticketId: 'T-2', attempt: 1, title: 'same', base: 'main'})).toEqual({kind: 'empty'});
		expect(git(dir, 'rev-parse', 'main')).toBe(now);
		expect(now).not.toBe(before);
	});

	it('returns the conflicting paths when two tickets changed the same lines, leaving base alone', async () => {
		const dir = makeRepo();
		const repo = await openRepo(dir);
		await work(repo, 'T-1', {'src/a.txt': 'one\n'});
		await work(repo, 'T-2', {'src/a.txt': 'two\n', 'b.txt': 'fine\n'});
		const first = await repo.mergeToBase({ticketId: 'T-1', attempt: 1, title: 'one', base: 'main'});
		expect(first.kind).toBe('merged');
		const tip = git(dir, 'rev-parse', 'main');
		expect(await repo.mergeToBase({ticketId: 'T-2', attempt: 1, title: 'two', base: 'main'})).toEqual({kind: 'conflict', files: ['src/a.txt']});
		expect(git(dir, 'rev-parse', 'main')).toBe(tip);
		expect(status(dir)).toEqual([]);
	});

	it('falls back to the proofloop identity for the merge commit', async () => {
		const dir = makeRepo({identity: false});
		const repo = await openRepo(dir);
		await work(repo, 'T-1', {'x.txt': 'x\n'});
		const result = await repo.mergeToBase({ticketId: 'T-1', attempt: 1, title: 'x', base: 'main'});
		expect(result.kind).toBe('merged');
		expect(git(dir, 'log', '-1', '--format=%an <%ae>|%cn <%ce>', 'main')).toBe('proofloop <proofloop@localhost>|proofloop <proofloop@localhost>');
	});

	it('refuses a missing base or ticket branch with a fix', async () => {
		const repo = await openRepo(makeRepo());
		await expect(repo.mergeToBase({ticketId: 'T-9', attempt: 1, title: 'x', base: 'main'})).rejects.toThrow(/proofloop\/T-9 does not exist; fix:/);
		await expect(repo.mergeToBase({ticketId: 'T-9', attempt: 1, title: 'x', base: 'nope'})).rejects.toThrow(GitError);
	});

	it('lands every merge when two Repo instances merge into the same base at once (compare-and-swap)', async () => {
		const dir = makeRepo();
		const a = await openRepo(dir);
		const b = await openRepo(dir);
		const ids = ['T-1', 'T-2', 'T-3', 'T-4', 'T-5', 'T-6'];
		const heads = new Map<string, string>();
		for (const id of ids) heads.set(id, await work(a, id, {[`${id}.txt`]: `${id}\n`}));

		const mergeAll = async (repo: Repo, mine: string[]) => {
			const results = [];
			for (const id of mine) results.push(await repo.mergeToBase({ticketId: id, attempt: 1, title: id, base: 'main'}));
			return results;
		};
		const results = (await Promise.all([mergeAll(a, ids.slice(0, 3)), mergeAll(b, ids.slice(3))])).flat();
		expect(results.map(r => r.kind)).toEqual(ids.map(() => 'merged'));

		const log = git(dir, 'log', '--first-parent', '--format=%B', 'main');
		for (const id of ids) {
			expect(log.split('\n').filter(line => line === `Ticket: ${id}`)).toHaveLength(1);
			expect(await a.isAncestor(heads.get(id)!, 'main')).toBe(true);
			expect(await b.findMerge(id, 1, 'main')).toBeDefined();
		}
		// Linear chain of merges: each one's first parent is the one before.
		expect(git(dir, 'rev-list', '--first-parent', '--count', 'main')).toBe(String(ids.length + 1));
		// The user's checkout of main ends up in sync with every merge.
		expect(status(dir)).toEqual([]);
		for (const id of ids) expect(existsSync(path.join(dir, `${id}.txt`))).toBe(true);
	});
});

describe("syncing the user's checkout of base", () => {
	it('brings the merge into their files and keeps their unrelated uncommitted edit', async () => {
		const dir = makeRepo();
		const repo = await openRepo(dir);
		await work(repo, 'T-1', {'feature.txt': 'feature\n', 'src/a.txt': 'a1\na2 changed\na3\n'});
		write(dir, 'README.md', 'my local edit\n');
		write(dir, 'notes.txt', 'my untracked notes\n');

		const result = await repo.mergeToBase({ticketId: 'T-1', attempt: 1, title: 't', base: 'main'});
		expect(result).toMatchObject({kind: 'merged', warnings: []});
		expect(readFileSync(path.join(dir, 'feature.txt'), 'utf8')).toBe('feature\n');
		expect(readFileSync(path.join(dir, 'src/a.txt'), 'utf8')).toBe('a1\na2 changed\na3\n');
		expect(readFileSync(path.join(dir, 'README.md'), 'utf8')).toBe('my local edit\n');
		expect(status(dir).sort()).toEqual([' M README.md', '?? notes.txt']);
	});

	it('when their uncommitted edit collides with the merge: their checkout is left exactly as they have it, HEAD detached where their files are, nothing staged, with the command that catches up', async () => {
		const dir = makeRepo();
		const repo = await openRepo(dir);
		await work(repo, 'T-1', {'feature.txt': 'feature\n', 'src/a.txt': 'ticket\n'});
		write(dir, 'src/a.txt', 'my local edit\n');
		const old = git(dir, 'rev-parse', 'main');

		const result = await repo.mergeToBase({ticketId: 'T-1', attempt: 1, title: 't', base: 'main'});
		expect(result.kind).toBe('merged');
		if (result.kind !== 'merged') return;
		// The merge landed on the ref ...
		expect(git(dir, 'rev-parse', 'main')).toBe(result.sha);
		// ... but their files and index are exactly as they left them, and HEAD is where those are: no reversed staged diff.
		expect(readFileSync(path.join(dir, 'src/a.txt'), 'utf8')).toBe('my local edit\n');
		expect(existsSync(path.join(dir, 'feature.txt'))).toBe(false);
		expect(git(dir, 'rev-parse', 'HEAD')).toBe(old);
		expect(git(dir, 'diff', '--cached', '--name-only')).toBe('');
		expect(status(dir)).toEqual([' M src/a.txt']);
		expect(result.warnings).toHaveLength(1);
		expect(result.warnings[0]).toContain(`${dir} was left as you have it, HEAD detached at ${old.slice(0, 12)}`);
		const command = `git -C "${dir}" checkout main`;
		expect(result.warnings[0]).toContain(`catch up: ${command}`);

		// Once their edit is out of the way, the suggested command catches up.
		write(dir, 'src/a.txt', 'a1\na2\na3\n');
		execSync(command, {stdio: 'ignore'});
		expect(git(dir, 'symbolic-ref', 'HEAD')).toBe('refs/heads/main');
		expect(status(dir)).toEqual([]);
		expect(readFileSync(path.join(dir, 'feature.txt'), 'utf8')).toBe('feature\n');
	});
});
