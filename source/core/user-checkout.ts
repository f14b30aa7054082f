import type {DirtyCheckout, Repo} from '../git/index.js';
import type {EngineEvent} from './events.js';
import {isProtected} from './guard.js';
import {InputError} from './input-error.js';

/**
 * Before anything is written: a person's checkout of base with uncommitted
 * changes is refused unless --allow-dirty, because the run moves base under
 * it. Paths no merge may change (the tracker, which the engine itself writes
 * there, and the other protected paths) do not count.
 */
export async function refuseDirtyCheckouts(repo: Repo, base: string, protectedPaths: string[], allowDirty: boolean): Promise<DirtyCheckout[]> {
	const dirty = await repo.dirtyCheckouts(base, file => isProtected(file, protectedPaths));
	if (dirty.length === 0 || allowDirty) return dirty;
	const listed = dirty.flatMap(d => [
		`  ${d.path}:`,
		...d.files.slice(0, 50).map(f => `    ${f}`),
		...(d.files.length > 50 ? [`    ... and ${d.files.length - 50} more`] : []),
	]);
	const where = dirty[0]?.path ?? repo.root;
	throw new InputError(
		`your checkout has '${base}' checked out with uncommitted changes, and this run merges finished tickets into '${base}' under it:\n${listed.join('\n')}\n` +
			`  fix: commit them (git -C "${where}" commit -am "wip"), stash them (git -C "${where}" stash), ` +
			`or check out another branch there (git -C "${where}" switch -c my-work); ` +
			`or run with --allow-dirty: the checkout then follows '${base}' only where git keeps your changes, ` +
			`and otherwise stays exactly as you have it (HEAD detached) and the run says so`,
	);
}

type Kept = Extract<EngineEvent, {type: 'checkout.kept'}>;

/** What --allow-dirty started over, for the report. */
export function describeDirtyStart(event: Extract<EngineEvent, {type: 'checkout.dirty'}>): string {
	const files = event.files.slice(0, 20).join(', ') + (event.files.length > 20 ? `, ... (${event.files.length} in all)` : '');
	return (
		`the run started with --allow-dirty over your uncommitted changes in ${event.path} (${files}); ` +
		`the checkout followed each merge with them kept and nothing staged, unless a notice below says it was left behind`
	);
}

/** The whole notice, for the headless line, `proofloop status` and the report. */
export function describeKept(event: Kept): string {
	return (
		`your checkout ${event.path} was NOT brought up to ${event.branch}: ${event.branch} moved to ` +
		`${event.baseHead.slice(0, 12)}${event.ticket ? ` (the merge of ${event.ticket})` : ''}, ` +
		`but your uncommitted changes there collide with it (${event.reason.replace(/\.+$/, '')}). ` +
		`It is left exactly as you had it: the same files and index, HEAD detached at ${event.kept.slice(0, 12)} where those files are, ` +
		`so \`git status\` shows only your changes and no commit there undoes a merge. ` +
		`catch up: ${event.fix}`
	);
}

/** One line for the TUI footer. */
export function keptFooter(event: Kept): string {
	return `YOUR CHECKOUT ${event.path} was left as you have it (HEAD detached at ${event.kept.slice(0, 7)}, ${event.branch} moved on); catch up: ${event.fix}`;
}
