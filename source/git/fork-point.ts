import path from 'node:path';
import {lstatSync, readFileSync, existsSync} from 'node:fs';
import {runGit} from './run.js';
import {knownCommonDir} from './worktrees.js';

// The checks' baseline and the guard each need where a head forked from base:
// one `merge-base` for both while base has not moved (the same two commits
// have the same merge base), a second one when it has.

const KEEP = 64;
const known = new Map<string, string>();

/** The sha a loose ref file of refs/heads/<base> holds (what git resolves: a loose ref wins), or undefined: ask git. */
function looseTip(common: string | undefined, base: string): string | undefined {
	if (common === undefined) return undefined;
	try {
		if (existsSync(path.join(common, 'reftable'))) return undefined;
		const file = path.join(common, 'refs', 'heads', ...base.split('/'));
		if (!lstatSync(file).isFile()) return undefined;
		return /^([0-9a-f]{40}|[0-9a-f]{64})\n$/.exec(readFileSync(file, 'utf8'))?.[1];
	} catch {
		return undefined;
	}
}

/**
 * `git merge-base refs/heads/<base> <head>` in `cwd` (a checkout of the repository at `root`):
 * the branch's full name, since a bare `main` is a tag `main` first and an agent can make one.
 * Undefined when git finds none. Remembered only when base's ref file held the same tip before and after.
 */
export async function forkPoint(root: string, cwd: string, base: string, head: string): Promise<string | undefined> {
	const common = knownCommonDir(root);
	const tip = looseTip(common, base);
	const key = tip === undefined ? undefined : `${root}\0${base}\0${tip}\0${head}`;
	const cached = key === undefined ? undefined : known.get(key);
	if (cached !== undefined) return cached;
	const result = await runGit(cwd, ['merge-base', `refs/heads/${base}`, head]);
	const fork = result.exitCode === 0 ? result.stdout.trim() || undefined : undefined;
	if (fork !== undefined && key !== undefined && looseTip(common, base) === tip) {
		known.set(key, fork);
		if (known.size > KEEP) known.delete(known.keys().next().value!);
	}
	return fork;
}
