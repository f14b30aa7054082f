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
