import {GitError} from './errors.js';
import {branchInRefFiles} from './ref-files.js';
import {runGit} from './run.js';
import {knownCommonDir} from './worktrees.js';

/**
 * The full sha of the commit `ref` names, or undefined when it names none.
 * Peels tags to their commit so the answer compares equal to branch heads
 * and can be fed to ancestry checks.
 */
export async function revParse(cwd: string, ref: string): Promise<string | undefined> {
	// A leading "-" would be read as an option, never as a ref.
	if (ref === '' || ref.startsWith('-')) return undefined;
	const result = await runGit(cwd, ['rev-parse', '--verify', '--quiet', `${ref}^{commit}`]);
	return result.exitCode === 0 ? result.stdout.trim() : undefined;
}

export async function branchExists(cwd: string, name: string): Promise<boolean> {
	if (name === '' || name.startsWith('-')) return false;
	const common = knownCommonDir(cwd);
	const fast = common === undefined ? undefined : branchInRefFiles(common, name);
	if (fast !== undefined) return fast;
	const result = await runGit(cwd, ['show-ref', '--verify', '--quiet', `refs/heads/${name}`]);
	return result.exitCode === 0;
}

/**
 * Whether `commit` is reachable from `ref` (a commit is its own ancestor).
 * A commit that does not exist is not reachable from anything (false); a
 * `ref` that does not exist is a caller error, since "not merged" would be a
 * lie about a branch nobody can see.
 */
export async function isAncestor(cwd: string, commit: string, ref: string): Promise<boolean> {
	const tip = await revParse(cwd, ref);
	if (tip === undefined) {
		throw new GitError(`cannot check ancestry: '${ref}' does not name a commit in ${cwd}; fix: pass an existing branch or sha`);
	}
	const sha = await revParse(cwd, commit);
	if (sha === undefined) return false;
	const result = await runGit(cwd, ['merge-base', '--is-ancestor', sha, tip]);
	if (result.exitCode === 0) return true;
	if (result.exitCode === 1) return false;
	throw new GitError(
		`git merge-base --is-ancestor ${sha} ${tip} failed in ${cwd} (exit ${result.exitCode}): ${result.stderr.trim()}; fix: run \`git fsck\` there`,
	);
}

/** The tree sha of a commit. */
export async function treeOf(cwd: string, commit: string): Promise<string | undefined> {
	const result = await runGit(cwd, ['rev-parse', '--verify', '--quiet', `${commit}^{tree}`]);
	return result.exitCode === 0 ? result.stdout.trim() : undefined;
}
