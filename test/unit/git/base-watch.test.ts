import {afterEach, describe, expect, it} from 'vitest';
import {openRepo, type Repo} from '../../../source/git/index.js';
import {cleanup, commitFiles, git, makeRepo, write} from './helpers.js';

afterEach(cleanup);

async function work(repo: Repo, id: string): Promise<void> {
	const {path: wt} = await repo.prepareWorktree(id, 'main');
	write(wt, `${id}.txt`, `${id}\n`);
	await repo.commitAll(wt, `${id}: work`);
}

// The merge queue knows every tip it made: base anywhere else was moved by someone else.
describe('watched base', () => {
	it('follows its own merges, and names a foreign move both while idle and at the next merge (which it refuses)', async () => {
		const dir = makeRepo();
		const repo = await openRepo(dir);
		const start = git(dir, 'rev-parse', 'main');
		repo.watchBase('main', start);
		const told: unknown[] = [];
		repo.onForeignBase = found => told.push(found);

		await work(repo, 'T-1');
		const merged = await repo.mergeToBase({ticketId: 'T-1', attempt: 1, title: 't', base: 'main'});
		expect(merged.kind).toBe('merged');
		expect(await repo.checkBase()).toBeUndefined();

		await work(repo, 'T-2');
		commitFiles(dir, {'by-hand.txt': 'x\n'}, 'by hand');
		const tip = git(dir, 'rev-parse', 'main');
		const expected = merged.kind === 'merged' ? merged.sha : '';
		expect(await repo.checkBase()).toEqual({base: 'main', expected, tip});
		expect(await repo.mergeToBase({ticketId: 'T-2', attempt: 1, title: 't', base: 'main'})).toEqual({kind: 'foreign', expected, tip});
		expect(told).toEqual([{base: 'main', expected, tip}]);
		expect(git(dir, 'rev-parse', 'main')).toBe(tip);
	});

	it('merges over a moved base as before when nothing is watched', async () => {
		const dir = makeRepo();
		const repo = await openRepo(dir);
		await work(repo, 'T-1');
		commitFiles(dir, {'by-hand.txt': 'x\n'}, 'by hand');
		expect((await repo.mergeToBase({ticketId: 'T-1', attempt: 1, title: 't', base: 'main'})).kind).toBe('merged');
	});
});
