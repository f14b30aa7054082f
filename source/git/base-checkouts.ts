import {existsSync, lstatSync, readdirSync, readFileSync} from 'node:fs';
import path from 'node:path';
import {plainBranch} from './ref-files.js';
import {commonDir, listWorktrees} from './worktrees.js';

/**
 * The checkouts that have `base` checked out (their HEAD is `ref: refs/heads/<base>`),
 * whose directories exist. After every merge the sync needs them; reading the HEAD files
 * git keeps (the main one in the common dir, each linked one under worktrees/<name>/)
 * answers without a `git worktree list` process. Anything unusual (a symlinked HEAD, the
 * reftable backend's stub HEAD, a missing gitdir file) asks git instead.
 */
export async function checkoutsOf(root: string, base: string): Promise<string[]> {
	const common = await commonDir(root);
	const fast = fromHeadFiles(common, base);
	if (fast !== undefined) return fast;
	const list = await listWorktrees(root);
	return list.filter(w => w.branch === base && !w.prunable && existsSync(w.path)).map(w => w.path);
}

function fromHeadFiles(common: string, base: string): string[] | undefined {
	try {
		const want = `ref: refs/heads/${base}`;
		const found: string[] = [];
		const main = headOf(common, common);
		if (main === undefined) return undefined;
		// The main checkout is the common dir's parent (git's own rule for a non-bare repository).
		if (main === want && path.basename(common) === '.git' && existsSync(path.dirname(common))) found.push(path.dirname(common));
		if (main === want && path.basename(common) !== '.git') return undefined;
		const linked = path.join(common, 'worktrees');
		for (const name of existsSync(linked) ? readdirSync(linked) : []) {
			const head = headOf(common, path.join(linked, name));
			if (head === undefined) return undefined;
			if (head !== want) continue;
			const gitdirFile = path.join(linked, name, 'gitdir');
			if (!existsSync(gitdirFile)) return undefined;
			// Relative when worktree.useRelativePaths wrote it: relative to its own admin directory.
			const dotGit = path.resolve(path.join(linked, name), readFileSync(gitdirFile, 'utf8').replace(/\r?\n$/, ''));
			if (path.basename(dotGit) !== '.git') return undefined;
			// A checkout whose directory is gone is prunable, never synced.
			if (existsSync(dotGit)) found.push(path.dirname(dotGit));
		}
		return found;
	} catch {
		return undefined;
	}
}

/**
 * The first line of a HEAD file; undefined when it is not a plain file, is the reftable stub,
 * or names a branch that is itself a symref (git follows that one: `master` -> `main` is a checkout of main).
 */
function headOf(common: string, gitDir: string): string | undefined {
	const file = path.join(gitDir, 'HEAD');
	if (!lstatSync(file).isFile()) return undefined;
	const head = readFileSync(file, 'utf8').split('\n')[0]!.trim();
	if (head === 'ref: refs/heads/.invalid') return undefined;
	const branch = /^ref: refs\/heads\/(.+)$/.exec(head)?.[1];
	return branch !== undefined && !plainBranch(common, branch) ? undefined : head;
}
