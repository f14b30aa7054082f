import {afterEach, describe, expect, it} from 'vitest';
import {openRepo, type Repo} from '../../../source/git/index.js';
import {cleanup, git, makeRepo, write} from './helpers.js';

afterEach(cleanup);

async function work(repo: Repo, id: string, files: Record<string, string>): Promise<void> {
	const {path: wt} = await repo.prepareWorktree(id, 'main');
	for (const [file, text] of Object.entries(files)) write(wt, file, text);
	await repo.commitAll(wt, `${id}: work`);
}

const none = () => false;

describe("the person's uncommitted changes where base is checked out", () => {
	it('lists staged and unstaged changes to tracked files, not untracked files, and not what the ignore rule drops', async () => {
		const dir = makeRepo();
		const repo = await openRepo(dir);
		expect(await repo.dirtyCheckouts('main', none)).toEqual([]);
		write(dir, 'README.md', 'mine\n');
		write(dir, 'untracked.txt', 'x\n');
		write(dir, 'src/a.txt', 'staged\n');
		git(dir, 'add', 'src/a.txt');
		expect(await repo.dirtyCheckouts('main', none)).toEqual([{path: dir, files: [' M README.md', 'M  src/a.txt']}]);
		expect(await repo.dirtyCheckouts('main', file => file.startsWith('src/'))).toEqual([{path: dir, files: [' M README.md']}]);
		// Another branch checked out: base can move under nothing of theirs.
		expect(await repo.dirtyCheckouts('other', none)).toEqual([]);
	});

	it("a merge reversed in the index (a crash cut the checkout sync) is not the person's; their worktree edit on top still is", async () => {
		const dir = makeRepo();
		const repo = await openRepo(dir);
		await work(repo, 'T-1', {'feature.txt': 'feature\n', 'src/a.txt': 'ticket\n'});
		// The merge lands on the ref, and the engine dies before the sync: HEAD names the merge, index and files are the commit before.
		const before = git(dir, 'rev-parse', 'main');
		const merged = await repo.mergeToBase({ticketId: 'T-1', attempt: 1, title: 't', base: 'main'});
		expect(merged.kind).toBe('merged');
		git(dir, 'read-tree', '-u', '--reset', before);
		expect(git(dir, 'diff', '--cached', '--name-only').split('\n').sort()).toEqual(['feature.txt', 'src/a.txt']);
		expect(await repo.dirtyCheckouts('main', none)).toEqual([]);
		write(dir, 'README.md', 'mine\n');
		expect(await repo.dirtyCheckouts('main', none)).toEqual([{path: dir, files: [' M README.md']}]);
		// A staged change of the person's is theirs, reversal or not.
		git(dir, 'add', 'README.md');
		expect((await repo.dirtyCheckouts('main', none))[0]?.files).toContain('M  README.md');
	});
});
