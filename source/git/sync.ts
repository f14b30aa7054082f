import {setTimeout as sleep} from 'node:timers/promises';
import {briefStderr} from './errors.js';
import {runGit} from './run.js';
import {checkoutsOf} from './base-checkouts.js';

/** A checkout of base git could not bring along without touching its owner's changes: left as they have it, HEAD detached at `kept`. */
export type KeptCheckout = {path: string; branch: string; kept: string; baseHead: string; reason: string; fix: string};

/**
 * After base moved from `oldSha` to `newSha` by update-ref, any checkout with
 * base checked out has a HEAD at the new commit but an index and files still
 * at the old one, so `git status` there shows our merge reversed. A two-tree
 * `read-tree -m -u old new` (what `git reset --keep` does) fast-forwards such
 * a checkout and carries the person's uncommitted changes along, staging
 * nothing of theirs; when their changes touch what the merge changed it
 * refuses before writing anything. Then HEAD is detached where their index and
 * files are, so nothing in it is a reversed diff a plain `git commit` would
 * record; `onKept` (else a warning) says so with the command that catches up.
 */
export async function syncCheckouts(root: string, base: string, oldSha: string, newSha: string, onKept?: (kept: KeptCheckout) => void): Promise<string[]> {
	const warnings: string[] = [];
	for (const checkout of await checkoutsOf(root, base)) {
		const failure = await syncOne(checkout, oldSha, newSha);
		if (failure === undefined) continue;
		const detached = await keepAt(checkout, base, oldSha, newSha);
		if (detached !== undefined) {
			warnings.push(
				`${checkout} has ${base} checked out and was not updated to the merge ${newSha.slice(0, 12)} (${failure.replace(/\.+$/, '')}), ` +
					`and detaching its HEAD at ${oldSha.slice(0, 12)} failed too: ${detached}. ` +
					`\`git diff --cached\` there may show the merge reversed: do not commit it. fix: ${catchUpCommand(checkout, base)}`,
			);
			continue;
		}
		const kept: KeptCheckout = {path: checkout, branch: base, kept: oldSha, baseHead: newSha, reason: failure, fix: catchUpCommand(checkout, base)};
		if (onKept) onKept(kept);
		else warnings.push(`${kept.path} was left as you have it, HEAD detached at ${oldSha.slice(0, 12)}: ${failure}; catch up: ${kept.fix}`);
	}
	return warnings;
}

/** What a person runs to bring a kept checkout onto base again, keeping their changes (stashed when git refuses to carry them). */
export function catchUpCommand(checkout: string, base: string): string {
	const git = `git -C "${checkout}"`;
	return `${git} checkout ${base}   (if git refuses because of your changes: ${git} stash -u && ${git} checkout ${base} && ${git} stash pop)`;
}

/** Detach HEAD at `oldSha` (where the index and files are), only if it still follows base; undefined on success, else why not. */
async function keepAt(checkout: string, base: string, oldSha: string, newSha: string): Promise<string | undefined> {
	const head = await runGit(checkout, ['symbolic-ref', '-q', 'HEAD']);
	if (head.stdout.trim() !== `refs/heads/${base}`) return `HEAD no longer follows ${base} (${head.stdout.trim() || 'detached'})`;
	const message = `proofloop: ${base} moved to ${newSha.slice(0, 12)}; your changes kept git from following, HEAD stays where your files are`;
	const result = await runGit(checkout, ['update-ref', '--no-deref', '-m', message, 'HEAD', oldSha]);
	return result.exitCode === 0 ? undefined : briefStderr(result.stderr);
}

/** Returns undefined on success, else git's reason. */
async function syncOne(checkout: string, oldSha: string, newSha: string): Promise<string | undefined> {
	let reason = '';
	for (let attempt = 0; attempt < 5; attempt++) {
		// A refusal writes nothing; files that were merely touched count as "not uptodate" until
		// their stat data is refreshed, so a refusal refreshes and tries again. Exit 1 just means files differ.
		let result = await runGit(checkout, ['read-tree', '-m', '-u', oldSha, newSha]);
		if (result.exitCode !== 0 && !result.stderr.includes('index.lock')) {
			await runGit(checkout, ['update-index', '-q', '--refresh']);
			result = await runGit(checkout, ['read-tree', '-m', '-u', oldSha, newSha]);
		}
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
