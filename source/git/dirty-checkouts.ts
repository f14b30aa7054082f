import {existsSync} from 'node:fs';
import {GitError, briefStderr} from './errors.js';
import {runGit} from './run.js';
import {listWorktrees} from './worktrees.js';

export type DirtyCheckout = {path: string; files: string[]};

/**
 * A person's checkouts of `base` (proofloop's own never have it checked out) with uncommitted
 * changes to tracked files, staged or not: a run moves base under them.
 * `ignore` drops paths no merge can change (the tracker, which the engine
 * itself writes there). Untracked files are not listed: which ones a merge
 * would overwrite is unknown until it happens (then sync.ts keeps the checkout as it is).
 * --no-optional-locks: a status here never takes the person's index lock.
 */
export async function dirtyBaseCheckouts(root: string, base: string, ignore: (file: string) => boolean): Promise<DirtyCheckout[]> {
	const dirty: DirtyCheckout[] = [];
	for (const checkout of await listWorktrees(root)) {
		if (checkout.branch !== base || checkout.prunable || !existsSync(checkout.path)) continue;
		const status = await runGit(checkout.path, ['--no-optional-locks', 'status', '--porcelain=v1', '-z', '--untracked-files=no']);
		if (status.exitCode !== 0)
			throw new GitError(
				`reading the state of your checkout ${checkout.path} failed: ${briefStderr(status.stderr)}; fix: run \`git status\` there and repair what it reports`,
			);
		let entries = parsePorcelain(status.stdout).filter(entry => !ignore(entry.file));
		// Staged changes that are exactly a merge reversed are ours (a crash cut the sync; the resumed run redoes it): only the person's worktree edits count.
		if (entries.some(entry => entry.xy[0] !== ' ') && (await interruptedSync(checkout.path))) {
			entries = entries.filter(entry => entry.xy[1] !== ' ').map(entry => ({...entry, xy: ` ${entry.xy[1]}`}));
		}
		const files = entries.map(entry => `${entry.xy} ${entry.file}`);
		if (files.length > 0) dirty.push({path: checkout.path, files});
	}
	return dirty;
}

/** `status --porcelain=v1 -z`: "XY path\0", a rename or copy followed by its source "\0old\0". */
function parsePorcelain(out: string): Array<{xy: string; file: string}> {
	const entries: Array<{xy: string; file: string}> = [];
	const parts = out.split('\0');
	for (let i = 0; i < parts.length; i++) {
		const part = parts[i] ?? '';
		if (part.length < 4) continue;
		const xy = part.slice(0, 2);
		entries.push({xy, file: part.slice(3)});
		if (xy.startsWith('R') || xy.startsWith('C')) i++;
	}
	return entries;
}

/**
 * Whether the index is exactly the tree before one of the newest proofloop
 * merges on HEAD's first-parent chain: base moved by a merge whose checkout
 * sync an engine crash cut short (HEAD names the merge, the index still the
 * commit before it).
 */
async function interruptedSync(checkout: string): Promise<boolean> {
	const chain = await runGit(checkout, ['log', '--first-parent', '-n', '5', '--merges', '--format=%H %P%x00%B%x1e', 'HEAD']);
	if (chain.exitCode !== 0) return false;
	for (const record of chain.stdout.split('\x1e')) {
		const [shas = '', message = ''] = record.split('\0');
		const parent = shas.trim().split(' ')[1];
		if (!parent || !/^Ticket: /m.test(message)) continue;
		if ((await runGit(checkout, ['diff-index', '--cached', '--quiet', parent])).exitCode === 0) return true;
	}
	return false;
}
