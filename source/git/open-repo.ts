import {existsSync, statSync} from 'node:fs';
import path from 'node:path';
import {GitError} from './errors.js';
import {Repo} from './repo.js';
import {runGit} from './run.js';

/**
 * Opens the repository containing `dir`, refusing early (with the fix) when
 * there is nothing proofloop could work on: no repository, a bare one, or
 * one without a single commit to branch from.
 */
export async function openRepo(dir: string): Promise<Repo> {
	const abs = path.resolve(dir);
	if (!existsSync(abs) || !statSync(abs).isDirectory()) {
		throw new GitError(`${abs} is not a directory; fix: run proofloop inside your project's git checkout`);
	}
	const top = await runGit(abs, ['rev-parse', '--show-toplevel']);
	if (top.exitCode !== 0) {
		const bare = await runGit(abs, ['rev-parse', '--is-bare-repository']);
		if (bare.exitCode === 0 && bare.stdout.trim() === 'true') {
			throw new GitError(`${abs} is a bare git repository; proofloop needs a working tree; fix: run it in a clone with a checkout (git clone ${abs} <dir>)`);
		}
		if (bare.exitCode === 0) {
			throw new GitError(`${abs} is inside a .git directory, not a working tree; fix: run proofloop from the checkout itself`);
		}
		throw new GitError(`${abs} is not inside a git repository; fix: git init && git add -A && git commit -m init`);
	}
	const root = top.stdout.trim();
	if (!(await hasCommits(root))) {
		throw new GitError(`the git repository at ${root} has no commits yet; fix: commit something first (git add -A && git commit -m init)`);
	}
	return new Repo(root);
}

/**
 * Whether any branch (or a detached HEAD) holds a commit. Not `rev-list --all`:
 * that also walks every worktree's HEAD, and fails while a worktree is half
 * made or half removed (`bad object worktrees/T-4.verify/HEAD`) during a run.
 */
async function hasCommits(root: string): Promise<boolean> {
	const branch = await runGit(root, ['for-each-ref', '--count=1', '--format=%(objectname)', 'refs/heads']);
	if (branch.exitCode === 0 && branch.stdout.trim() !== '') return true;
	return (await runGit(root, ['rev-parse', '-q', '--verify', 'HEAD^{commit}'])).exitCode === 0;
}
