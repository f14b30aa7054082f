// A git command that only reads acts on nothing an intent announces: it does not
// wait for the event log's fsync (#14). One that writes still does, and so does
// anything git is not known to only read.
import {afterEach, describe, expect, it} from 'vitest';
import {registerIntentLog} from '../../../source/lib/intent-barrier.js';
import {runGit} from '../../../source/git/run.js';
import {readsOnly} from '../../../source/git/read-only.js';
import {cleanup, git, makeRepo} from './helpers.js';

afterEach(cleanup);

const settledWithin = async (work: Promise<unknown>, ms: number): Promise<boolean> =>
	Promise.race([work.then(() => true), new Promise<boolean>(resolve => setTimeout(() => resolve(false), ms))]);

describe('the intent barrier for git', () => {
	it('lets reads through while an intent is not yet durable, and holds writes until it is', async () => {
		const dir = makeRepo();
		const tip = git(dir, 'rev-parse', 'main');
		let durable!: () => void;
		const onDisk = new Promise<void>(resolve => (durable = resolve));
		const unregister = registerIntentLog({durable: () => onDisk});
		try {
			expect(await settledWithin(runGit(dir, ['rev-parse', '--verify', '--quiet', 'refs/heads/main^{commit}']), 20_000)).toBe(true);
			expect(await settledWithin(runGit(dir, ['merge-base', 'refs/heads/main', tip]), 20_000)).toBe(true);
			expect(await settledWithin(runGit(dir, ['-c', 'core.quotePath=false', 'ls-tree', '-r', '--name-only', tip]), 20_000)).toBe(true);
			const write = runGit(dir, ['update-ref', 'refs/heads/other', tip]);
			expect(await settledWithin(write, 1_000)).toBe(false);
			expect(git(dir, 'for-each-ref', '--format=%(refname)', 'refs/heads/other')).toBe('');
			durable();
			expect((await write).exitCode).toBe(0);
			expect(git(dir, 'rev-parse', 'refs/heads/other')).toBe(tip);
		} finally {
			durable();
			unregister();
		}
	});

	it('counts as a read only what it knows to be one', () => {
		expect(readsOnly(['merge-base', 'a', 'b'])).toBe(true);
		expect(readsOnly(['-c', 'x.y=z', '--no-optional-locks', 'cat-file', 'blob', 'a:b'])).toBe(true);
		expect(readsOnly(['diff', '--name-status', 'a', 'b'])).toBe(true);
		expect(readsOnly(['diff', '--output=/tmp/x', 'a', 'b'])).toBe(false);
		for (const write of [
			['update-ref', 'r', 'a'],
			['status', '--porcelain'],
			['commit-tree', 't'],
			['merge-tree', '--write-tree', 'a', 'b'],
			['-C', '/x', 'rev-parse', 'HEAD'],
			[],
		]) {
			expect(readsOnly(write)).toBe(false);
		}
	});
});
