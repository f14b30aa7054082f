import {GitError} from './errors.js';
import {identityEnv} from './identity.js';
import {mustGit, simpleGitAt} from './run.js';

/**
 * Commits everything in a checkout (new, changed and deleted files) and
 * returns the new commit's sha, or undefined when there was nothing to
 * commit. This is how an agent's work becomes something the merge queue
 * can see, whether or not the agent committed by itself.
 */
export async function commitAll(checkout: string, message: string): Promise<string | undefined> {
	if (message.trim() === '') throw new GitError(`cannot commit in ${checkout} without a message; fix: pass a non-empty message`);
	const git = simpleGitAt(checkout, await identityEnv(checkout));
	try {
		await git.add(['-A']);
		// Compare the index with HEAD: `status` would also count changes that
		// cannot be staged (e.g. a dirty submodule) and the commit would fail.
		const staged = await git.diff(['--cached', '--name-only']);
		if (staged.trim() === '') return undefined;
		// --no-verify: a user's pre-commit hook (lint, husky needing node_modules)
		// must not make an agent's finished work disappear; proofloop's checks
		// and review are the gate.
		await git.commit(message, {'--no-verify': null, '--quiet': null});
		return (await git.revparse(['HEAD'])).trim();
	} catch (error) {
		if (error instanceof GitError) throw error;
		throw new GitError(
			`committing the work in ${checkout} failed: ${error instanceof Error ? error.message.trim() : String(error)}; fix: ` +
				`look at \`git status\` there (a stale .git index.lock? then prepare the worktree again)`,
		);
	}
}

/**
 * Paths the checkout's branch changed since it forked from `base` (three-dot
 * diff: what base did meanwhile does not count). A rename lists both the old
 * and the new path, so a guard on protected paths cannot be dodged by moving
 * a file out of them.
 */
export async function changedFiles(checkout: string, base: string): Promise<string[]> {
	const out = await mustGit(
		checkout,
		['diff', '--name-only', '--no-renames', '-z', `${base}...HEAD`, '--'],
		`listing the files changed since ${base} failed`,
		`check that '${base}' exists and shares history with the branch`,
	);
	return [...new Set(out.split('\0').filter(Boolean))];
}
