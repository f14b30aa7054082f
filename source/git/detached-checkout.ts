import path from 'node:path';
import type {Mutex} from 'async-mutex';
import {branchExists} from './refs.js';
import {mustGit, runGit} from './run.js';
import {checkName, checkoutPathFree, clearCheckout, ensureExcluded, removeCheckout, worktreesDir} from './worktrees.js';

/**
 * Runs `fn` in a throwaway checkout detached at `sha` (e.g. to verify a merge
 * without touching anyone's branch), then removes it whatever happened. `name`
 * shares the directory namespace with ticket ids, so pick one that cannot
 * collide (e.g. "T-3.verify"). Only the add and the removal hold `lock`: `fn` may run for minutes.
 */
export async function withDetachedCheckout<T>(root: string, lock: Mutex, name: string, sha: string, fn: (checkout: string) => Promise<T>): Promise<T> {
	checkName(name, 'checkout name');
	const checkout = path.join(root, worktreesDir, name);
	const add = ['worktree', 'add', '--detach', checkout, sha];
	await lock.runExclusive(async () => {
		await ensureExcluded(root);
		// A free path (the usual case) needs no listing and pruning first; a leftover does.
		if ((await checkoutPathFree(root, checkout)) && (await runGit(root, add)).exitCode === 0) return;
		await clearCheckout(root, checkout);
		await mustGit(root, add, `creating a checkout of ${sha} at ${checkout} failed`, `check that ${sha} is a commit of this repository`);
	});
	try {
		return await fn(checkout);
	} finally {
		await lock.runExclusive(() => removeCheckout(root, checkout));
	}
}

/** Removes a ticket's checkout and its branch; fine if either is already gone. The caller holds the repo's worktree lock. */
export async function removeTicketCheckout(root: string, checkout: string, branch: string): Promise<void> {
	await removeCheckout(root, checkout);
	// Delete first and ask only when that fails: a done ticket's branch is nearly always there.
	if ((await runGit(root, ['branch', '--quiet', '-D', branch])).exitCode === 0) return;
	if (await branchExists(root, branch)) {
		await mustGit(
			root,
			['branch', '--quiet', '-D', branch],
			`deleting branch ${branch} failed`,
			`if git says it is checked out somewhere, switch that checkout to another branch, then retry`,
		);
	}
}
