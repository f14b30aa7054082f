import {existsSync, readdirSync, realpathSync, statSync} from 'node:fs';
import {appendFile, mkdir, readFile, rm} from 'node:fs/promises';
import path from 'node:path';
import {GitError} from './errors.js';
import {mustGit, runGit} from './run.js';
import {setTimeout as sleep} from 'node:timers/promises';

export type WorktreeInfo = {
	path: string;
	/** Commit checked out; absent for a bare repository entry. */
	head?: string;
	/** Short branch name (e.g. "main", "proofloop/T-1"); absent when detached or bare. */
	branch?: string;
	/** Present when locked: the reason, or "locked" when none was given. */
	locked?: string;
	/** Present when git would prune it (its directory is gone): git's reason. */
	prunable?: string;
};

/** Where every proofloop checkout lives, relative to the repository root. */
export const worktreesDir = path.join('.proofloop', 'worktrees');

/**
 * Ticket ids and checkout names become a directory name and part of a branch
 * name, so they must be safe as both: no separators, no "..", nothing git's
 * ref-name rules reject. Checked before any path is built from them.
 */
export function checkName(name: string, what: string): void {
	const ok = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$/.test(name) && !name.includes('..') && !name.endsWith('.lock') && !name.endsWith('.');
	if (!ok) {
		throw new GitError(
			`${what} ${JSON.stringify(name)} cannot name a worktree or branch; fix: use letters, digits, "_", "." or "-" (starting with a letter or digit, ` +
				`at most 100 characters, no "..", not ending in "." or ".lock")`,
		);
	}
}

/**
 * Parses `git worktree list --porcelain -z`: records of NUL-terminated
 * "key value" lines, a record ended by an empty line. -z keeps paths with
 * newlines or odd characters intact.
 */
export function parseWorktreeList(output: string): WorktreeInfo[] {
	const list: WorktreeInfo[] = [];
	let current: WorktreeInfo | undefined;
	for (const line of output.split('\0')) {
		if (line === '') {
			if (current) list.push(current);
			current = undefined;
			continue;
		}
		const space = line.indexOf(' ');
		const key = space === -1 ? line : line.slice(0, space);
		const value = space === -1 ? '' : line.slice(space + 1);
		if (key === 'worktree') {
			if (current) list.push(current);
			current = {path: value};
		} else if (current) {
			if (key === 'HEAD') current.head = value;
			else if (key === 'branch') current.branch = value.replace(/^refs\/heads\//, '');
			else if (key === 'locked') current.locked = value || 'locked';
			else if (key === 'prunable') current.prunable = value || 'prunable';
		}
	}
	if (current) list.push(current);
	return list;
}

export async function listWorktrees(root: string): Promise<WorktreeInfo[]> {
	const out = await mustGit(root, ['worktree', 'list', '--porcelain', '-z'], 'listing worktrees failed');
	return parseWorktreeList(out);
}

/** Path equality that sees through symlinks (/tmp vs /private/tmp on macOS). */
export function samePath(a: string, b: string): boolean {
	return canonical(a) === canonical(b);
}

function canonical(p: string): string {
	const resolved = path.resolve(p);
	try {
		return realpathSync(resolved);
	} catch {
		// Missing paths: canonicalize the nearest existing parent instead.
		const parent = path.dirname(resolved);
		return parent === resolved ? resolved : path.join(canonical(parent), path.basename(resolved));
	}
}

/** The private git directory of a linked worktree (holds its index and HEAD). */
export async function gitDirOf(worktree: string): Promise<string> {
	const out = await mustGit(worktree, ['rev-parse', '--absolute-git-dir'], `cannot find the git directory of ${worktree}`);
	return out.trim();
}

/**
 * Removes the lock files a git process killed mid-command leaves in a
 * worktree's own git dir (index.lock, HEAD.lock, ORIG_HEAD.lock, ...) and on
 * its branch's ref. Git never clears these itself, and every later
 * add/commit/reset there fails on them (a chaos run found HEAD.lock blocking
 * `reset --hard` for good). Callers guarantee no git process is working there
 * (the engine only prepares a worktree when no agent runs in it, under the
 * repo mutex, and the branch is this ticket's alone). Returns what it removed.
 */
export async function removeStaleLocks(worktree: string, branch: string, settleMs = REF_LOCK_SETTLE_MS): Promise<string[]> {
	const gitDir = await gitDirOf(worktree);
	const common = await commonDir(worktree);
	const own = existsSync(gitDir)
		? readdirSync(gitDir)
				.filter(name => name.endsWith('.lock'))
				.map(name => path.join(gitDir, name))
		: [];
	const shared = common ? [path.join(common, 'refs', 'heads', `${branch}.lock`), path.join(common, 'logs', 'refs', 'heads', `${branch}.lock`)] : [];
	const removed: string[] = [];
	for (const lock of own) {
		if (!existsSync(lock)) continue;
		await rm(lock, {force: true});
		removed.push(lock);
	}
	// The branch's ref lock lives in the shared git dir, where another git (a
	// `gc --auto` packing refs after some agent's commit) may hold it for an
	// instant. A lock that is still there, unchanged, after settleMs is stale.
	for (const lock of shared) {
		const seen = lockStamp(lock);
		if (seen === undefined) continue;
		// Clamped: a lock dated in the future (an agent can write this directory) must not hold the repo mutex for long.
		const young = Math.min(settleMs, settleMs - (Date.now() - seen.mtimeMs));
		if (young > 0) await sleep(young);
		const now = lockStamp(lock);
		if (now === undefined || now.ino !== seen.ino || now.mtimeMs !== seen.mtimeMs) continue;
		await rm(lock, {force: true});
		removed.push(lock);
	}
	return removed;
}

/** How old a ref lock must be before we call it stale: far longer than any git holds one. */
const REF_LOCK_SETTLE_MS = 2000;

function lockStamp(file: string): {ino: number; mtimeMs: number} | undefined {
	try {
		const stat = statSync(file);
		return {ino: stat.ino, mtimeMs: stat.mtimeMs};
	} catch {
		return undefined;
	}
}

/**
 * Adds `/.proofloop/worktrees/` to the repository's local exclude file
 * (.git/info/exclude, never committed) so the user's own checkout does not
 * list our checkouts as untracked, and a `git add -A` there cannot turn them
 * into embedded repositories.
 */
const excluded = new Set<string>();

export async function ensureExcluded(root: string): Promise<void> {
	// Once per repo per process: it sits on the path of every dispatch.
	if (excluded.has(root)) return;
	const common = await commonDir(root);
	const file = path.join(common, 'info', 'exclude');
	const pattern = '/.proofloop/worktrees/';
	const text = existsSync(file) ? await readFile(file, 'utf8') : '';
	if (text.split('\n').some(line => line.trim() === pattern)) {
		excluded.add(root);
		return;
	}
	await mkdir(path.dirname(file), {recursive: true});
	const sep = text === '' || text.endsWith('\n') ? '' : '\n';
	await appendFile(file, `${sep}# proofloop's ticket checkouts\n${pattern}\n`);
	excluded.add(root);
}

/**
 * Makes a checkout path free: unregisters it if git knows it (even locked),
 * deletes the directory if it is still there, and prunes metadata of
 * checkouts whose directories are gone. Only ever called on paths under
 * .proofloop/worktrees, which proofloop owns.
 */
export async function clearCheckout(root: string, checkout: string): Promise<void> {
	const known = (await listWorktrees(root)).find(w => samePath(w.path, checkout));
	if (known) {
		// --force twice: also removes a locked checkout or one with changes.
		const removed = await runGit(root, ['worktree', 'remove', '--force', '--force', checkout]);
		if (removed.exitCode !== 0 && known.locked) await runGit(root, ['worktree', 'unlock', checkout]);
	}
	await rm(checkout, {recursive: true, force: true});
	await mustGit(root, ['worktree', 'prune'], 'pruning worktree metadata failed');
}

/**
 * clearCheckout for the common case, in one git call instead of three: a
 * checkout git knows and that is still whole is removed by `worktree remove`
 * alone (directory and metadata). Anything odd (locked, half deleted, never
 * registered) takes the full path. Every ticket pays this twice (its verify
 * checkout, then its own), and each git process forked from a busy engine
 * delays the next ticket's pickup.
 */
export async function removeCheckout(root: string, checkout: string): Promise<void> {
	if (existsSync(path.join(checkout, '.git'))) {
		const removed = await runGit(root, ['worktree', 'remove', '--force', '--force', checkout]);
		if (removed.exitCode === 0 && !existsSync(checkout)) return;
	}
	await clearCheckout(root, checkout);
}

/**
 * Whether a checkout path is certainly free: no directory, and no metadata
 * under the name git would give it. Git may have suffixed the name of a
 * stale registration (T-1, T-11, ...); then `worktree add` refuses the path
 * and the caller clears it the full way and retries.
 */
export async function checkoutPathFree(root: string, checkout: string): Promise<boolean> {
	if (existsSync(checkout)) return false;
	const common = await commonDir(root);
	return !existsSync(path.join(common, 'worktrees', path.basename(checkout)));
}

const commonDirs = new Map<string, string>();

/** The shared git dir of `root` if it was asked already (no git call). */
export function knownCommonDir(root: string): string | undefined {
	return commonDirs.get(root);
}

/** The repository's shared git dir (.git), asked once per root: it never moves under a running engine. */
export async function commonDir(root: string): Promise<string> {
	const known = commonDirs.get(root);
	if (known) return known;
	const common = (await mustGit(root, ['rev-parse', '--path-format=absolute', '--git-common-dir'], 'cannot find the git directory')).trim();
	commonDirs.set(root, common);
	return common;
}
