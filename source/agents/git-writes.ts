/**
 * What a commit in a linked worktree writes to the repository's git metadata,
 * read from its `.git` file: the sandbox makes exactly that writable, and the
 * files that steer where git looks read-only.
 */
import {readFileSync, statSync} from 'node:fs';
import path from 'node:path';

/** The git metadata a linked worktree's commits write, found from its `.git` file. */
export type GitWrites = {
	/** The worktree's `.git` file (read-only: it says where the gitdir is). */
	dotGit: string;
	/** The linked worktree's private gitdir, e.g. <repo>/.git/worktrees/<id>. */
	gitDir?: string;
	commonDir?: string;
	/** Directory of the checked-out branch's ref, and of its reflog; absent on a detached HEAD. */
	refDir?: string;
	logDir?: string;
	/** Set when `.git` is a directory (not a linked worktree): it stays read-only as a whole. */
	ownRepo?: boolean;
};

export function gitWrites(worktree: string): GitWrites {
	const dotGit = path.join(worktree, '.git');
	let stat;
	try {
		stat = statSync(dotGit);
	} catch {
		return {dotGit};
	}
	if (stat.isDirectory()) return {dotGit, ownRepo: true};
	const pointer = /^gitdir:\s*(.+?)\s*$/m.exec(readFileSync(dotGit, 'utf8'));
	if (!pointer?.[1]) return {dotGit};
	const gitDir = path.resolve(worktree, pointer[1]);
	let commonDir = gitDir;
	try {
		commonDir = path.resolve(gitDir, readFileSync(path.join(gitDir, 'commondir'), 'utf8').trim());
	} catch {
		// A gitdir without commondir is its own common dir.
	}
	const writes: GitWrites = {dotGit, gitDir, commonDir};
	let head: string;
	try {
		head = readFileSync(path.join(gitDir, 'HEAD'), 'utf8').trim();
	} catch {
		return writes;
	}
	const ref = /^ref:\s*(refs\/heads\/\S+)$/.exec(head)?.[1];
	// Only a branch in a namespace (refs/heads/proofloop/<id>): its directory holds
	// no base branch. A top-level branch would need all of refs/heads: not given.
	if (ref && ref.split('/').length >= 4) {
		writes.refDir = path.dirname(path.join(commonDir, ref));
		writes.logDir = path.dirname(path.join(commonDir, 'logs', ref));
	}
	return writes;
}
