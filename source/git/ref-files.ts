import {existsSync, lstatSync, readFileSync} from 'node:fs';
import path from 'node:path';

/**
 * Whether branch `name` exists, read from the files backend's own files (a loose
 * ref, else a line of packed-refs) instead of a `git show-ref` process: the
 * dispatch path asks it for every ticket. Loose first, then packed: `pack-refs`
 * writes packed-refs before it deletes the loose file, so a concurrent pack is
 * seen either way. Undefined (ask git) for anything else: the reftable backend,
 * a symlinked or unreadable ref.
 */
export function branchInRefFiles(common: string, name: string): boolean | undefined {
	try {
		if (existsSync(path.join(common, 'reftable'))) return undefined;
		const loose = path.join(common, 'refs', 'heads', ...name.split('/'));
		const stat = lstatIfAny(loose);
		if (stat?.isFile()) return true;
		if (stat?.isSymbolicLink()) return undefined;
		const packed = path.join(common, 'packed-refs');
		if (!existsSync(packed)) return false;
		return readFileSync(packed, 'utf8').includes(` refs/heads/${name}\n`);
	} catch {
		return undefined;
	}
}

function lstatIfAny(file: string) {
	try {
		return lstatSync(file);
	} catch (error) {
		if ((error as NodeJS.ErrnoException).code === 'ENOENT' || (error as NodeJS.ErrnoException).code === 'ENOTDIR') return undefined;
		throw error;
	}
}

/**
 * Whether `ref` (refs/heads/...) is a loose ref file holding exactly `sha`: then git
 * resolves it to `sha` too (a loose ref wins over packed-refs). Only this "unchanged"
 * answer is read from the file; anything else (moved, packed, a symref, reftable) asks git.
 */
export function looseRefHolds(common: string, ref: string, sha: string): boolean {
	try {
		if (existsSync(path.join(common, 'reftable'))) return false;
		const file = path.join(common, ...ref.split('/'));
		if (!lstatSync(file).isFile()) return false;
		return readFileSync(file, 'utf8') === `${sha}\n`;
	} catch {
		return false;
	}
}

/**
 * The branch a linked checkout has checked out, read from its HEAD file in git's admin
 * directory (what `git symbolic-ref HEAD` reads): false when detached at a sha, undefined
 * (ask git) for anything else: a .git that is not a plain pointer, a symlinked HEAD,
 * reftable, a branch whose ref is not a plain sha.
 */
export function branchInHeadFile(checkout: string): string | false | undefined {
	try {
		const pointer = /^gitdir: (.+)$/.exec(readFileSync(path.join(checkout, '.git'), 'utf8').replace(/\r?\n$/, ''))?.[1];
		if (pointer === undefined) return undefined;
		const admin = path.resolve(checkout, pointer);
		const head = path.join(admin, 'HEAD');
		if (!lstatSync(head).isFile()) return undefined;
		const text = readFileSync(head, 'utf8');
		if (/^[0-9a-f]{40}([0-9a-f]{24})?\n$/.test(text)) return false;
		const branch = /^ref: refs\/heads\/(.+)\n$/.exec(text)?.[1];
		if (branch === undefined || branch === '.invalid' || branch.includes('\n')) return undefined;
		// git follows a branch that is itself a symref (`ref: refs/heads/main`, an agent can write one): then git answers.
		const common = path.resolve(admin, readFileSync(path.join(admin, 'commondir'), 'utf8').replace(/\r?\n$/, ''));
		return plainBranch(common, branch) ? branch : undefined;
	} catch {
		return undefined;
	}
}

/**
 * Whether branch `name` is not a symref as far as the files say: no loose file (packed-refs
 * holds no symrefs), or a loose file holding a plain sha. False (ask git) for a symref, a symlink, reftable.
 */
export function plainBranch(common: string, name: string): boolean {
	try {
		if (existsSync(path.join(common, 'reftable'))) return false;
		const file = path.join(common, 'refs', 'heads', ...name.split('/'));
		const loose = lstatIfAny(file);
		if (loose === undefined) return true;
		return loose.isFile() && /^[0-9a-f]{40}([0-9a-f]{24})?\n$/.test(readFileSync(file, 'utf8'));
	} catch {
		return false;
	}
}
