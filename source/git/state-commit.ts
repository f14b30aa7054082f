/**
 * The tracker state a run wrote (statuses, evidence, filed tickets), committed
 * on base at the run's end, so `git checkout .`, `git stash -u` or a fresh
 * clone keeps what the oracle reads. Plumbing only (a temporary index, no
 * checkout) and a compare-and-swap of base, under the repo mutex the merge
 * queue holds; then the person's checkout of base is told those files are
 * base's now (their bytes already are), so it ends clean.
 */
import {mkdtempSync, rmSync} from 'node:fs';
import {tmpdir} from 'node:os';
import path from 'node:path';
import {GitError, briefStderr} from './errors.js';
import {identityEnv, signFlag} from './identity.js';
import {revParse, treeOf} from './refs.js';
import {mustGit, runGit} from './run.js';

export type StateCommitRequest = {
	base: string;
	runId: string;
	/** Tracker files (relative to the repo root) the engine wrote: committed with their bytes in the checkout now. */
	files: string[];
	/** Where base must be (the merge queue's last tip): anywhere else, someone else moved it and nothing is committed over that. */
	expected?: string;
	/** Told the new commit before base moves to it (logged first: a crash after the move must not read as a foreign commit). */
	beforeMove?: (sha: string, parent: string) => void;
};
export type StateCommitResult =
	{kind: 'committed'; sha: string; parent: string} | {kind: 'unchanged'; tip: string} | {kind: 'foreign'; expected: string; tip: string};

const maxTries = 5;

export const stateCommitMessage = (runId: string, files: number): string =>
	`proofloop: ticket state of run ${runId}\n\nThe ticket files the engine wrote during the run (${files}), as the run left them.\n\nProofloop-Run: ${runId}\n`;

/** Commit `files` onto base unless base already holds exactly those bytes (idempotent: a resume redoes it harmlessly). */
export async function commitTrackerState(root: string, req: StateCommitRequest): Promise<StateCommitResult> {
	const baseRef = `refs/heads/${req.base}`;
	for (let attempt = 1; attempt <= maxTries; attempt++) {
		const old = await revParse(root, baseRef);
		if (old === undefined)
			throw new GitError(`cannot commit the ticket state: base branch '${req.base}' does not exist in ${root}; fix: create it, then resume the run`);
		if (req.expected !== undefined && old !== req.expected) return {kind: 'foreign', expected: req.expected, tip: old};
		const tree = await treeWith(root, old, req.files);
		if (tree === (await treeOf(root, old))) return {kind: 'unchanged', tip: old};
		// A user who signs every commit gets this one signed too (commit-tree does not read commit.gpgSign).
		const sign = await signFlag(root);
		const commit = (
			await mustGit(
				root,
				['commit-tree', ...sign, tree, '-p', old, '-F', '-'],
				'creating the ticket-state commit failed',
				sign.length > 0 ? 'check your signing setup (commit.gpgSign is on), or turn signing off for this repository' : undefined,
				{
					input: stateCommitMessage(req.runId, req.files.length),
					env: await identityEnv(root),
				},
			)
		).trim();
		req.beforeMove?.(commit, old);
		const cas = await runGit(root, ['update-ref', '-m', `proofloop: ticket state of run ${req.runId}`, baseRef, commit, old]);
		if (cas.exitCode === 0) return {kind: 'committed', sha: commit, parent: old};
		if ((await revParse(root, baseRef)) === old) {
			throw new GitError(
				`moving ${req.base} to the ticket-state commit failed: ${briefStderr(cas.stderr)}; fix: ` +
					`if git names a stale .lock file under .git/refs and no git process is running, delete it, then resume the run`,
			);
		}
	}
	throw new GitError(
		`could not commit the ticket state: ${req.base} moved under every one of ${maxTries} tries; fix: stop whatever keeps committing to ${req.base}, ` +
			`then resume the run`,
	);
}

/** `base`'s tree with `files` as they are in the checkout at `root` (a file gone there is gone from the tree). */
async function treeWith(root: string, base: string, files: string[]): Promise<string> {
	const dir = mkdtempSync(path.join(tmpdir(), 'proofloop-state-'));
	const env = {GIT_INDEX_FILE: path.join(dir, 'index')};
	try {
		await mustGit(root, ['read-tree', base], 'reading base into a temporary index failed', undefined, {env});
		if (files.length > 0)
			await mustGit(root, ['update-index', '--add', '--remove', '-z', '--stdin'], 'adding the ticket files to a temporary index failed', undefined, {
				env,
				input: files.map(f => `${f}\0`).join(''),
			});
		return (await mustGit(root, ['write-tree'], 'writing the ticket-state tree failed', undefined, {env})).trim();
	} finally {
		rmSync(dir, {recursive: true, force: true});
	}
}

/**
 * The checkout at `root`, on base, holds `files` as `commit` does (their bytes
 * were what got committed): set its index entries to `commit`'s, so nothing
 * reads as changed and the sync that follows keeps them. Only when HEAD
 * follows base; nothing of anyone else's is staged (an edit since stays unstaged).
 */
export async function adoptCommittedFiles(root: string, base: string, commit: string, files: string[]): Promise<void> {
	if (files.length === 0) return;
	const head = await runGit(root, ['symbolic-ref', '-q', 'HEAD']);
	if (head.stdout.trim() !== `refs/heads/${base}`) return;
	const listed = await mustGit(root, ['--literal-pathspecs', 'ls-tree', '-z', '--full-tree', commit, '--', ...files], 'listing the ticket-state commit failed');
	const present = new Map<string, string>();
	for (const entry of listed.split('\0').filter(Boolean)) {
		const tab = entry.indexOf('\t');
		const [mode = '', , sha = ''] = entry.slice(0, tab).split(' ');
		present.set(entry.slice(tab + 1), `${mode} ${sha}`);
	}
	const zero = `0 ${'0'.repeat(40)}`;
	const info = files.map(f => `${present.get(f) ?? zero}\t${f}\0`).join('');
	await mustGit(root, ['update-index', '-z', '--index-info'], `updating ${root}'s index to the ticket-state commit failed`, undefined, {input: info});
	await runGit(root, ['update-index', '-q', '--refresh']);
}
