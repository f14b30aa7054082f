import {GitError, briefStderr} from './errors.js';
import {identityEnv} from './identity.js';
import {mustGit, runGit} from './run.js';

/**
 * Commits everything in a checkout (new, changed and deleted files) and
 * returns the new commit's sha, or undefined when there was nothing to
 * commit. This is how an agent's work becomes something the merge queue
 * can see, whether or not the agent committed by itself.
 */
export async function commitAll(checkout: string, message: string, identityFrom = checkout): Promise<string | undefined> {
	if (message.trim() === '') throw new GitError(`cannot commit in ${checkout} without a message; fix: pass a non-empty message`);
	const failed = (what: string, result: {exitCode: number; stderr: string}) =>
		new GitError(
			`committing the work in ${checkout} failed: \`git ${what}\` exited ${result.exitCode}: ${briefStderr(result.stderr)}; fix: ` +
				`look at \`git status\` there (a stale .git index.lock? then prepare the worktree again)`,
		);
	// Nothing to commit, the usual case (the agent committed its work): one `status` says so, where
	// `add -A` and `diff --cached` took two. It reads the index as `add -A` would; untracked cache off, every
	// submodule change shown: anything it lists (even what add would skip) takes the full path below.
	const status = await runGit(checkout, [
		'-c',
		'core.untrackedCache=false',
		'status',
		'--porcelain',
		'-z',
		'--untracked-files=all',
		'--ignore-submodules=none',
	]);
	if (status.exitCode === 0 && status.stdout === '') return undefined;
	const added = await runGit(checkout, ['add', '-A']);
	if (added.exitCode !== 0) throw failed('add -A', added);
	// Compare the index with HEAD: `status` would also count changes that
	// cannot be staged (e.g. a dirty submodule) and the commit would fail. Exit 1: something is staged.
	const staged = await runGit(checkout, ['diff', '--cached', '--quiet']);
	if (staged.exitCode === 0) return undefined;
	if (staged.exitCode !== 1) throw failed('diff --cached --quiet', staged);
	// --no-verify: a user's pre-commit hook (lint, husky needing node_modules)
	// must not make an agent's finished work disappear; proofloop's checks
	// and review are the gate. The message comes on stdin: never read as an option.
	const committed = await runGit(checkout, ['commit', '--no-verify', '--quiet', '-F', '-'], {input: message, env: await identityEnv(identityFrom)});
	if (committed.exitCode !== 0) throw failed('commit', committed);
	return (await mustGit(checkout, ['rev-parse', '--verify', 'HEAD^{commit}'], `reading the commit just made in ${checkout} failed`)).trim();
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
