import {existsSync} from 'node:fs';
import {setTimeout as sleep} from 'node:timers/promises';
import {briefStderr} from './errors.js';
import {runGit} from './run.js';
import {listWorktrees} from './worktrees.js';

/**
 * After base moved from `oldSha` to `newSha` by update-ref, any checkout with
 * base checked out has a HEAD at the new commit but an index and files still
 * at the old one, so `git status` there shows our merge reversed. A two-tree
 * `read-tree -m -u old new` fast-forwards such a checkout and carries the
 * user's uncommitted changes along; when their changes touch what the merge
 * changed it refuses before writing anything, and we leave the checkout as it
 * is and return a warning with the command to run later.
 */
export async function syncCheckouts(root: string, base: string, oldSha: string, newSha: string): Promise<string[]> {
	const warnings: string[] = [];
	for (const checkout of await listWorktrees(root)) {
		if (checkout.branch !== base || checkout.prunable || !existsSync(checkout.path)) continue;
		const failure = await syncOne(checkout.path, oldSha, newSha);
		if (failure !== undefined) {
			warnings.push(
				`${checkout.path} has ${base} checked out and was not updated to the merge ${newSha.slice(0, 12)}: ${failure.replace(/\.+$/, '')}. ` +
					`Its files are still at ${oldSha.slice(0, 12)}, so \`git status\` there shows the merge reversed; nothing of yours was touched. ` +
					`fix: once your uncommitted changes there no longer collide with the merge, run: ${syncCommand(checkout.path, oldSha, newSha)}`,
			);
		}
	}
	return warnings;
}

/** The shell command that does what syncOne does, for a human to run later. */
export function syncCommand(checkout: string, oldSha: string, newSha: string): string {
	return `git -C "${checkout}" update-index -q --refresh; git -C "${checkout}" read-tree -m -u ${oldSha} ${newSha}`;
}

/** Returns undefined on success, else git's reason. */
async function syncOne(checkout: string, oldSha: string, newSha: string): Promise<string | undefined> {
	let reason = '';
	for (let attempt = 0; attempt < 5; attempt++) {
		// Refresh stat data first, or files that were merely touched count as
		// "not uptodate" and block the merge. Exit 1 just means files differ.
		await runGit(checkout, ['update-index', '-q', '--refresh']);
		const result = await runGit(checkout, ['read-tree', '-m', '-u', oldSha, newSha]);
		if (result.exitCode === 0) return undefined;
		reason = briefStderr(result.stderr);
		// Another git process (the user's, or a second merge syncing the same
		// checkout) holds the index for a moment: wait and retry. Any other
		// refusal is about the user's changes and will not go away by waiting.
		if (!result.stderr.includes('index.lock')) break;
		await sleep(100 * (attempt + 1));
	}
	return reason;
}
