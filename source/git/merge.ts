import {GitError, briefStderr} from './errors.js';
import {identityEnv, signFlag} from './identity.js';
import {revParse, treeOf} from './refs.js';
import {mustGit, runGit} from './run.js';
import {syncCheckouts} from './sync.js';
import {marksMerge, mergeMessage} from './trailers.js';

export type MergeRequest = {
	ticketId: string;
	attempt: number;
	title: string;
	base: string;
	/** The exact commit the checks and the guard passed: merged as it is, whatever the branch says now. */
	head?: string;
	/** Where base must be (the merge queue's last tip): anywhere else, someone else moved it, and nothing is merged over that. */
	expected?: string;
};
export type MergeResult =
	| {kind: 'merged'; sha: string; parent: string; warnings: string[]}
	| {kind: 'conflict'; files: string[]}
	| {kind: 'empty'}
	/** Base is not where the merge queue left it: a commit the queue did not make reached it. */
	| {kind: 'foreign'; expected: string; tip: string};

/** How often we recompute when base moved under us before giving up. */
const maxTries = 5;

/**
 * Merges `branch` into `base` without touching any index or checkout:
 * merge-tree computes the tree, commit-tree makes the merge commit, and
 * update-ref moves base only if it still points where we started
 * (compare-and-swap). If another writer moved base meanwhile, we start over
 * from its new head, so nobody's merge is ever lost. Runs under the repo
 * mutex; the CAS protects against writers outside it (another process, the
 * user committing on base).
 */
export async function mergeToBase(
	root: string,
	branch: string,
	req: MergeRequest,
	/** Run once the CAS landed, instead of syncing checkouts inline (the caller may sync outside its lock). */
	afterCas?: (old: string, commit: string) => Promise<string[]>,
): Promise<MergeResult> {
	const baseRef = `refs/heads/${req.base}`;
	for (let attempt = 1; attempt <= maxTries; attempt++) {
		// Where the queue left base is where it must be: the update-ref below is the compare-and-swap
		// that proves it, so the first try reads nothing; a failed swap reads base, and finds who moved it.
		const old = attempt === 1 && req.expected !== undefined ? req.expected : await revParse(root, baseRef);
		if (old === undefined) {
			throw new GitError(`cannot merge ${req.ticketId}: base branch '${req.base}' does not exist in ${root}; fix: create it or pass the right base`);
		}
		if (req.expected !== undefined && old !== req.expected) return {kind: 'foreign', expected: req.expected, tip: old};
		const head = req.head ?? (await revParse(root, `refs/heads/${branch}`));
		if (head === undefined) {
			throw new GitError(`cannot merge ${req.ticketId}: its branch ${branch} does not exist; fix: prepare the ticket's worktree and run the attempt again`);
		}

		const tree = await mergeTree(root, old, head);
		// An answer that skips the swap must come from where base is: one read proves the queue's tip still is.
		const unswapped = async <T>(answer: T): Promise<T | {kind: 'foreign'; expected: string; tip: string}> => {
			if (req.expected === undefined || attempt > 1) return answer;
			const now = await revParse(root, baseRef);
			return now === req.expected ? answer : {kind: 'foreign', expected: req.expected, tip: now ?? '(deleted)'};
		};
		if (tree.kind === 'conflict') return unswapped(tree);
		// A merge whose tree is base's tree changes nothing (the work is already
		// there, or there was none): recording it would fake progress.
		if (tree.tree === (await cachedTreeOf(root, old))) return unswapped({kind: 'empty'} as const);

		const message = mergeMessage({ticketId: req.ticketId, attempt: req.attempt, title: req.title, workerHead: head});
		// A user who signs every commit (commit.gpgSign) gets signed merges too.
		const sign = await signFlag(root);
		const commit = (
			await mustGit(
				root,
				['commit-tree', ...sign, tree.tree, '-p', old, '-p', head, '-F', '-'],
				`creating the merge commit for ${req.ticketId} failed`,
				sign.length > 0
					? 'check your signing setup (commit.gpgSign is on: user.signingkey, gpg.format, the agent), or turn signing off for this repository'
					: undefined,
				{
					input: message,
					env: await identityEnv(root),
				},
			)
		).trim();

		const cas = await runGit(root, ['update-ref', '-m', `proofloop: merge ${req.ticketId}`, baseRef, commit, old]);
		if (cas.exitCode === 0) {
			trees.set(commit, tree.tree);
			made.set(commit, {parent: old, head});
			if (made.size > 64) made.delete(made.keys().next().value!);
			// The merge has landed; from here on nothing may turn it into an error,
			// or the caller would retry a merge that already happened.
			const warnings = await (afterCas ? afterCas(old, commit) : syncCheckouts(root, req.base, old, commit)).catch((error: unknown) => [
				`merged ${req.ticketId} into ${req.base}, but could not bring checkouts of ${req.base} up to date: ` +
					`${error instanceof Error ? error.message : String(error)}`,
			]);
			return {kind: 'merged', sha: commit, parent: old, warnings};
		}
		// Lost the race only if base is no longer where we read it; anything
		// else (permissions, a stale refs/heads/<base>.lock) will not fix itself.
		const now = await revParse(root, baseRef);
		if (req.expected !== undefined && now !== req.expected) return {kind: 'foreign', expected: req.expected, tip: now ?? '(deleted)'};
		if (now === old) {
			throw new GitError(
				`moving ${req.base} to the merge of ${req.ticketId} failed: ${briefStderr(cas.stderr)}; fix: ` +
					`if git names a stale .lock file under .git/refs and no git process is running, delete it, then retry`,
			);
		}
	}
	throw new GitError(
		`could not merge ${req.ticketId}: ${req.base} moved under every one of ${maxTries} tries; fix: ` +
			`stop whatever keeps committing to ${req.base} during the run, then retry`,
	);
}

/** Trees of the merges this process made (a commit's tree never changes): the next merge's "changes nothing" test needs no git call. */
const trees = new Map<string, string>();
/** The latest merges this process made: base's tip before each, and the commit merged. */
const made = new Map<string, {parent: string; head: string}>();

/** Whether this process made merge commit `commit`, and of what (its first parent and the merged commit). */
export function mergeThisProcessMade(commit: string): {parent: string; head: string} | undefined {
	return made.get(commit);
}

async function cachedTreeOf(root: string, commit: string): Promise<string | undefined> {
	return trees.get(commit) ?? (await treeOf(root, commit));
}

type TreeResult = {kind: 'clean'; tree: string} | {kind: 'conflict'; files: string[]};

/**
 * `merge-tree --write-tree` (git >= 2.38) merges two commits in the object
 * store only. With -z --name-only --no-messages its output is the tree sha
 * then the conflicted paths, NUL-separated; exit 1 means conflicts.
 */
async function mergeTree(root: string, old: string, head: string): Promise<TreeResult> {
	const args = ['merge-tree', '--write-tree', '--name-only', '-z', '--no-messages', old, head];
	const result = await runGit(root, args);
	const [tree = '', ...files] = result.stdout.split('\0').filter(Boolean);
	if (result.exitCode === 0) return {kind: 'clean', tree: tree.trim()};
	if (result.exitCode === 1) return {kind: 'conflict', files: [...new Set(files)]};
	throw new GitError(
		`merging ${head} into ${old} failed (exit ${result.exitCode}): ${briefStderr(result.stderr)}; fix: git >= 2.38 is required for merge-tree --write-tree, ` +
			`and the branches must share history`,
		{args, exitCode: result.exitCode, stderr: result.stderr},
	);
}

/**
 * The merge commit on base carrying `Ticket: <id>` and `Attempt: <n>`, if
 * one landed: a resumed engine asks this before merging again, which makes
 * the merge idempotent. Only base's first-parent chain is searched: that is
 * where our merge commits sit, while commits that arrived through a ticket's
 * branch (an agent could write any message there) are on second parents.
 */
export async function findMerge(root: string, ticketId: string, attempt: number, base: string): Promise<string | undefined> {
	const baseRef = `refs/heads/${base}`;
	if ((await revParse(root, baseRef)) === undefined) return undefined;
	const out = await mustGit(
		root,
		['log', '--first-parent', '--fixed-strings', '--regexp-ignore-case', `--grep=Ticket: ${ticketId}`, '--format=%H%x00%B%x1e', baseRef, '--'],
		`searching ${base} for the merge of ${ticketId} failed`,
	);
	for (const record of out.split('\x1e')) {
		const nul = record.indexOf('\0');
		if (nul === -1) continue;
		const sha = record.slice(0, nul).trim();
		if (marksMerge(record.slice(nul + 1), ticketId, attempt)) return sha;
	}
	return undefined;
}
