import {existsSync} from 'node:fs';
import {rm} from 'node:fs/promises';
import path from 'node:path';
import {GitError} from './errors.js';
import {identityEnv} from './identity.js';
import {branchExists, isAncestor, revParse} from './refs.js';
import {mustGit, runGit} from './run.js';
import type {SpareCheckouts} from './spares.js';
import {ensureExcluded, gitDirOf, listWorktrees, removeStaleLocks, samePath} from './worktrees.js';

export type Prepared = {
	path: string;
	branch: string;
	/** True when this call (re)created the checkout directory, false when an existing one was reused. */
	created: boolean;
	/** Paths that conflicted when bringing in the newest base; the checkout is left clean at the branch head. */
	conflict?: string[];
};

/**
 * Puts a ticket's checkout at `checkout` on `branch`, repaired, clean and up
 * to date with `base`. Runs under the repo mutex (it adds/prunes worktrees
 * and creates branches). `base` is only ever read: resolving it to a sha
 * once keeps every step below on the same commit even if base moves.
 */
export async function prepareWorktree(root: string, checkout: string, branch: string, base: string): Promise<Prepared> {
	// The branch's full name: a bare `main` is a tag `main` (or .git/main) first, and an agent can make either.
	const baseSha = await revParse(root, `refs/heads/${base}`);
	if (baseSha === undefined) {
		throw new GitError(`cannot prepare ${branch}: base '${base}' does not name a commit in ${root}; fix: pass an existing branch as the base`);
	}
	await ensureExcluded(root);
	const created = await ensureCheckout(root, checkout, branch, baseSha);
	if (!created) await discardLeftovers(checkout, branch, baseSha);
	const conflict = await bringInBase(root, checkout, branch, base, baseSha);
	return conflict ? {path: checkout, branch, created, conflict} : {path: checkout, branch, created};
}

/**
 * A ticket's first checkout (no directory, no branch yet): one `git worktree
 * add`, and nothing to repair. This is the hot path of pickup latency, so it
 * runs outside the repo mutex rather than queueing behind merges: git itself
 * makes it safe (a new branch's ref has its own lock; a worktree being added
 * is locked "initializing" against a concurrent prune). Undefined when the
 * case is not that simple or git refuses: the careful path takes over.
 */
export async function tryFreshWorktree(root: string, checkout: string, branch: string, base: string, spares?: SpareCheckouts): Promise<Prepared | undefined> {
	if (existsSync(checkout) || base === '' || base.startsWith('-') || (await branchExists(root, branch))) return undefined;
	await ensureExcluded(root);
	// A spare checkout made ahead of time: only what base changed since is written now.
	if (spares && (await spares.claim(checkout, branch, base))) {
		spares.refill(base);
		return {path: checkout, branch, created: true};
	}
	// git resolves base itself (one process fewer on the hot path); a base that names no commit fails the add.
	const added = await runGit(root, ['worktree', 'add', '-b', branch, checkout, `refs/heads/${base}^{commit}`]);
	if (added.exitCode === 0) return {path: checkout, branch, created: true};
	// Half made (the branch, but no checkout): leave nothing the careful path would trip on.
	if (!existsSync(checkout) && (await branchExists(root, branch))) await runGit(root, ['branch', '-D', branch]);
	return undefined;
}

/** Makes sure a registered checkout of `branch` exists at `checkout`; true when it had to be made. */
async function ensureCheckout(root: string, checkout: string, branch: string, baseSha: string): Promise<boolean> {
	// Forget checkouts whose directories were deleted by hand (`rm -rf`);
	// locked ones survive this and are handled below.
	await mustGit(root, ['worktree', 'prune'], 'pruning worktree metadata failed');
	const worktrees = await listWorktrees(root);

	const elsewhere = worktrees.find(w => w.branch === branch && !samePath(w.path, checkout));
	if (elsewhere) {
		throw new GitError(
			`branch ${branch} is checked out at ${elsewhere.path}, so proofloop cannot check it out at ${checkout}; fix: ` +
				`git -C "${elsewhere.path}" switch --detach (or remove that checkout), then retry`,
		);
	}

	const mine = worktrees.find(w => samePath(w.path, checkout));
	const usable = mine !== undefined && !mine.prunable && existsSync(path.join(checkout, '.git'));
	if (usable) return false;

	if (mine) {
		// Registered but unusable (e.g. a locked checkout whose directory is gone).
		await runGit(root, ['worktree', 'unlock', checkout]);
		await runGit(root, ['worktree', 'remove', '--force', '--force', checkout]);
		await mustGit(root, ['worktree', 'prune'], 'pruning worktree metadata failed');
	}
	// A directory git does not know as a checkout is a leftover of ours (the
	// path is under .proofloop/worktrees); its committed work, if any, is on
	// the branch, and uncommitted leftovers are discarded anyway.
	await rm(checkout, {recursive: true, force: true});

	const args = (await branchExists(root, branch)) ? ['worktree', 'add', checkout, branch] : ['worktree', 'add', '-b', branch, checkout, baseSha];
	await mustGit(
		root,
		args,
		`creating the checkout for ${branch} failed`,
		`remove ${checkout} and retry; if git names a lock file, make sure no git process runs and delete it`,
	);
	return true;
}

/**
 * Returns a reused checkout to the branch's last commit: an interrupted
 * attempt may have left a stale index.lock, a half-done merge or rebase, a
 * switched branch, edits and untracked files. Committed work is kept.
 */
async function discardLeftovers(checkout: string, branch: string, baseSha: string): Promise<void> {
	await removeStaleLocks(checkout, branch);
	const gitDir = await gitDirOf(checkout);
	if (existsSync(path.join(gitDir, 'rebase-merge')) || existsSync(path.join(gitDir, 'rebase-apply'))) {
		// --quit drops the rebase state without moving anything; the reset below cleans up.
		await runGit(checkout, ['rebase', '--quit']);
	}
	const head = await runGit(checkout, ['symbolic-ref', '--quiet', 'HEAD']);
	const onBranch = head.exitCode === 0 && head.stdout.trim() === `refs/heads/${branch}`;
	if (!(await branchExists(checkout, branch))) {
		// The branch was deleted under a live checkout: start it again from base.
		await mustGit(checkout, ['checkout', '--quiet', '--force', '-B', branch, baseSha], `recreating ${branch} failed`);
	} else if (!onBranch) {
		await mustGit(checkout, ['checkout', '--quiet', '--force', branch], `switching ${checkout} back to ${branch} failed`);
	}
	// reset --hard also clears MERGE_HEAD / CHERRY_PICK_HEAD state.
	await mustGit(checkout, ['reset', '--quiet', '--hard', 'HEAD'], `discarding leftovers in ${checkout} failed`);
	// -ff: also nested repositories an agent may have cloned or initialised.
	await mustGit(checkout, ['clean', '-ffdq'], `removing untracked leftovers in ${checkout} failed`);
}

/**
 * Brings base's newest commit into the branch: a fast-forward when the
 * branch has nothing base lacks, else a merge commit. A conflicting merge is
 * aborted and its paths returned, so the next worker starts from a clean
 * tree and knows what to reconcile.
 */
async function bringInBase(root: string, checkout: string, branch: string, base: string, baseSha: string): Promise<string[] | undefined> {
	const head = await revParse(checkout, 'HEAD');
	if (head === undefined) throw new GitError(`${checkout} has no HEAD commit; fix: remove it (proofloop re-creates it)`);
	if (head === baseSha || (await isAncestor(checkout, baseSha, head))) return undefined;
	if (await isAncestor(checkout, head, baseSha)) {
		await mustGit(checkout, ['reset', '--quiet', '--hard', baseSha], `fast-forwarding ${branch} to ${base} failed`);
		return undefined;
	}
	const env = await identityEnv(root);
	// --no-verify: the user's commit hooks are not ours to run here; proofloop's
	// own checks judge the work. The sha (not the name) pins what we merge.
	const merge = await runGit(checkout, ['merge', '--quiet', '--no-edit', '--no-verify', '-m', `Merge ${base} into ${branch}`, baseSha], {env});
	if (merge.exitCode === 0) return undefined;

	const unmerged = await runGit(checkout, ['diff', '--name-only', '-z', '--diff-filter=U']);
	const files = unique(unmerged.stdout.split('\0').filter(Boolean));
	const gitDir = await gitDirOf(checkout);
	if (existsSync(path.join(gitDir, 'MERGE_HEAD'))) {
		const abort = await runGit(checkout, ['merge', '--abort']);
		if (abort.exitCode !== 0) await mustGit(checkout, ['reset', '--quiet', '--hard', head], `cleaning up the failed merge in ${checkout} failed`);
	}
	if (files.length > 0) return files;
	throw new GitError(
		`merging ${base} into ${branch} failed in ${checkout} (exit ${merge.exitCode}): ${merge.stderr.trim() || merge.stdout.trim()}; fix: ` +
			`resolve what git names there (e.g. an ignored file in the way), then retry`,
	);
}

function unique(list: string[]): string[] {
	return [...new Set(list)];
}
