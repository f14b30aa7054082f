// The guard's base listing carried from a fork to the merge the engine made of
// a head that held it: the same file list git lists at the merge, the texts of
// files the head left alone kept, the changed ones dropped; nothing carried
// when base moved between the guard and the merge.
import {afterEach, describe, expect, it} from 'vitest';
import {openRepo} from '../../../source/git/index.js';
import {knownTree, rememberDiff, rememberTree} from '../../../source/core/base-trees.js';
import {branchDiff} from '../../../source/core/finish-line-guard.js';
import {cleanup, commitFiles, git, makeRepo, write} from '../git/helpers.js';
import {rmSync} from 'node:fs';
import path from 'node:path';

afterEach(cleanup);

const listed = (dir: string, commit: string) => new Set(git(dir, 'ls-tree', '-r', '--name-only', commit).split('\n').filter(Boolean));

describe('base trees carried to the next guard', () => {
	it('a merge of a head that held base: the fork list with the diff applied, unchanged texts kept', async () => {
		const dir = makeRepo({files: {'README.md': 'hello\n', 'package.json': '{}\n', 'src/a.txt': 'a\n', 'src/b.txt': 'b\n'}});
		const repo = await openRepo(dir);
		const fork = git(dir, 'rev-parse', 'main');
		rememberTree(fork, {
			files: listed(dir, fork),
			texts: new Map([
				['package.json', '{}\n'],
				['src/a.txt', 'a\n'],
				['README.md', 'hello\n'],
			]),
		});
		const {path: wt} = await repo.prepareWorktree('T-1', 'main');
		write(wt, 'new/c.txt', 'c\n');
		write(wt, 'src/a.txt', 'a2\n');
		rmSync(path.join(wt, 'README.md'));
		const head = (await repo.commitAll(wt, 'T-1: work'))!;
		rememberDiff(await branchDiff(wt, 'main', head));
		const merged = await repo.mergeToBase({ticketId: 'T-1', attempt: 1, title: 't', base: 'main', head});
		if (merged.kind !== 'merged') throw new Error(merged.kind);
		const known = knownTree(merged.sha);
		expect(known && new Set(known.files)).toEqual(listed(dir, merged.sha));
		expect(known && Object.fromEntries(known.texts)).toEqual({'package.json': '{}\n'});
	});

	it('nothing is carried when base moved between the guard and the merge', async () => {
		const dir = makeRepo();
		const repo = await openRepo(dir);
		const fork = git(dir, 'rev-parse', 'main');
		rememberTree(fork, {files: listed(dir, fork), texts: new Map()});
		const {path: wt} = await repo.prepareWorktree('T-2', 'main');
		write(wt, 'x.txt', 'x\n');
		const head = (await repo.commitAll(wt, 'T-2: work'))!;
		rememberDiff(await branchDiff(wt, 'main', head));
		// Someone else's commit on base after the guard (the merge then has another tree than the head's).
		commitFiles(dir, {'y.txt': 'y\n'}, 'meanwhile');
		const merged = await repo.mergeToBase({ticketId: 'T-2', attempt: 1, title: 't', base: 'main', head});
		if (merged.kind !== 'merged') throw new Error(merged.kind);
		expect(knownTree(merged.sha)).toBeUndefined();
	});
});
