import {existsSync, rmSync} from 'node:fs';
import path from 'node:path';
import {afterEach, describe, expect, it} from 'vitest';
import {openRepo} from '../../../source/git/index.js';
import {cleanup, commitFiles, git, makeRepo} from './helpers.js';

afterEach(cleanup);

const sleep = (ms: number) => new Promise(resolve => setTimeout(resolve, ms));

/** The spare checkouts git knows, with their lock state. */
function spares(root: string): Array<{path: string; locked: boolean}> {
	const out = git(root, 'worktree', 'list', '--porcelain');
	return out
		.split('\n\n')
		.filter(record => record.includes('/.spare/'))
		.map(record => ({path: record.split('\n')[0]!.replace(/^worktree /, ''), locked: /^locked/m.test(record)}));
}

async function waitForSpares(root: string, count: number): Promise<void> {
	for (let i = 0; i < 200 && spares(root).length !== count; i++) await sleep(25);
	expect(spares(root)).toHaveLength(count);
}

describe('spare checkouts', () => {
	it('a ticket claims the ready spare: on its new branch at the newest base, unlocked, clean; a new spare is made; dropping removes them all', async () => {
		const dir = makeRepo();
		const repo = await openRepo(dir);
		await repo.keepSpares(1, 'main');
		await waitForSpares(dir, 1);
		const [spare] = spares(dir);
		// Locked, so no prune can take it while it waits (or is being moved).
		expect(spare!.locked).toBe(true);
		// Base moves after the spare was made: the claim must start from the newest base.
		const newest = commitFiles(dir, {'later.txt': 'later\n'});

		const prepared = await repo.prepareWorktree('T-1', 'main');
		expect(prepared).toEqual({path: repo.worktreePath('T-1'), branch: 'proofloop/T-1', created: true});
		expect(existsSync(spare!.path)).toBe(false);
		expect(git(prepared.path, 'symbolic-ref', 'HEAD')).toBe('refs/heads/proofloop/T-1');
		expect(git(prepared.path, 'rev-parse', 'HEAD')).toBe(newest);
		expect(existsSync(path.join(prepared.path, 'later.txt'))).toBe(true);
		expect(git(prepared.path, 'status', '--porcelain')).toBe('');
		expect((await repo.listWorktrees()).find(w => w.path === prepared.path)?.locked).toBeUndefined();
		await waitForSpares(dir, 1);

		await repo.dropSpares();
		expect(spares(dir)).toEqual([]);
		expect(existsSync(path.join(dir, '.proofloop/worktrees/.spare'))).toBe(false);
		expect((await repo.listWorktrees()).map(w => w.path).sort()).toEqual([dir, prepared.path].sort());
	});

	it('a spare deleted by hand is no harm: the ticket gets its checkout the usual way', async () => {
		const dir = makeRepo();
		const repo = await openRepo(dir);
		await repo.keepSpares(1, 'main');
		await waitForSpares(dir, 1);
		rmSync(spares(dir)[0]!.path, {recursive: true, force: true});
		const prepared = await repo.prepareWorktree('T-1', 'main');
		expect(git(prepared.path, 'symbolic-ref', 'HEAD')).toBe('refs/heads/proofloop/T-1');
		expect(git(prepared.path, 'rev-parse', 'HEAD')).toBe(git(dir, 'rev-parse', 'main'));
		await repo.dropSpares();
		expect((await repo.listWorktrees()).map(w => w.path).sort()).toEqual([dir, prepared.path].sort());
	});

	it("a crashed engine's spares are removed at the next start; 0 keeps none", async () => {
		const dir = makeRepo();
		const crashed = await openRepo(dir);
		await crashed.keepSpares(2, 'main');
		await waitForSpares(dir, 2);
		// No drop: the engine died. One spare's directory is gone too (a locked registration survives prune).
		rmSync(spares(dir)[0]!.path, {recursive: true, force: true});
		git(dir, 'worktree', 'prune');
		expect(spares(dir)).toHaveLength(2);
		// The next engine, with spares off:
		const next = await openRepo(dir);
		await next.keepSpares(0, 'main');
		expect(spares(dir)).toEqual([]);
		expect((await next.listWorktrees()).map(w => w.path)).toEqual([dir]);
	});
});
