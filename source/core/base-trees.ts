import {mergeThisProcessMade} from '../git/merge.js';

/**
 * Base's file list and the texts the guard read from it, per commit, kept for
 * the next guard (finish-line-guard.ts): the next ticket usually forks from
 * the merge the last one made. A merge the engine made of a head that held
 * base's tip (its fork point was that tip) has the head's tree, so its list is
 * the fork's with the head's diff applied, no `ls-tree`; the texts of files
 * that diff left alone carry over, no `cat-file`. Anything else is read from git.
 */
export type KnownTree = {files: ReadonlySet<string>; texts: ReadonlyMap<string, string | undefined>};
type Diff = {head: string; fork: string; files: readonly string[]; deleted: ReadonlySet<string>};

const KEEP = 32;
const trees = new Map<string, KnownTree>();
const diffs = new Map<string, Diff>();

const keep = <V>(map: Map<string, V>, key: string, value: V): void => {
	map.delete(key);
	map.set(key, value);
	if (map.size > KEEP) map.delete(map.keys().next().value!);
};

/** What a guard listed and read at `commit`. */
export function rememberTree(commit: string, tree: KnownTree): void {
	keep(trees, commit, {files: new Set(tree.files), texts: new Map(tree.texts)});
}

/** The diff a guard judged for its head, from its fork point. */
export function rememberDiff(diff: Diff): void {
	keep(diffs, diff.head, diff);
}

/** `commit`'s list and texts, when known or derivable as above; undefined: ask git. */
export function knownTree(commit: string): KnownTree | undefined {
	const known = trees.get(commit);
	if (known) return known;
	const merge = mergeThisProcessMade(commit);
	const diff = merge && diffs.get(merge.head);
	const fork = merge && trees.get(merge.parent);
	// The merged head held base's tip (its fork point), so the merge's tree is the head's: the fork's plus the diff.
	if (!merge || !diff || !fork || diff.fork !== merge.parent) return undefined;
	const changed = new Set(diff.files);
	const files = new Set(fork.files);
	for (const file of changed) {
		if (diff.deleted.has(file)) files.delete(file);
		else files.add(file);
	}
	const derived = {files, texts: new Map([...fork.texts].filter(([file]) => !changed.has(file)))};
	keep(trees, commit, derived);
	return derived;
}
