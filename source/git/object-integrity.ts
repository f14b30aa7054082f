import {createHash} from 'node:crypto';
import {readdirSync, statSync} from 'node:fs';
import {readFile} from 'node:fs/promises';
import path from 'node:path';
import {promisify} from 'node:util';
import {inflate} from 'node:zlib';
import {forgedPacks, objectDirs} from './pack-integrity.js';

// Git trusts a loose object's file to hold what its name (the hash) says and
// never checks it when reading. An agent that can write `.git/objects` (its
// box must, to commit) could rewrite base's verify script or tests under their
// old ids: the guard compares ids and sees nothing, while every checkout the
// engine makes writes the new content. So the engine re-hashes the loose
// objects that are new or changed since it last looked, before it merges and
// before it counts a verify.

const inflateAsync = promisify(inflate);
const HEX = /^[0-9a-f]+$/;

/** Per object store: file -> the ino:ctime it had when its content was last found true (ctime cannot be set back). */
const verified = new Map<string, Map<string, string>>();

async function hashMatches(file: string, oid: string): Promise<boolean | 'gone'> {
	let bytes: Buffer;
	try {
		bytes = await readFile(file);
	} catch (error) {
		return (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'gone' : false;
	}
	try {
		return (
			createHash(oid.length === 64 ? 'sha256' : 'sha1')
				.update(await inflateAsync(bytes))
				.digest('hex') === oid
		);
	} catch {
		return false;
	}
}

/**
 * The loose objects of `commonDir` whose content does not hash to their name
 * (at most `limit`), each as `<oid> (<file>)`. Objects already found true are
 * not read again unless their file changed (another inode or ctime).
 */
export async function forgedLooseObjects(commonDir: string, limit = 10, objects = path.join(commonDir, 'objects')): Promise<string[]> {
	const seen = verified.get(objects) ?? new Map<string, string>();
	verified.set(objects, seen);
	const forged: string[] = [];
	// The listing and the stats are synchronous: a few µs each, where an awaited one cost a trip through
	// libuv's pool (~0.1 ms); every object is looked at on every call, so that was 20-60 ms a call at a few hundred objects.
	for (const file of looseObjectFiles(objects)) {
		const key = statKey(file);
		if (key === undefined || seen.get(file) === key) continue; // Pruned meanwhile, or unchanged since found true.
		const oid = file.slice(objects.length + 1).replace(path.sep, '');
		const matches = await hashMatches(file, oid);
		if (matches === 'gone') continue; // Pruned meanwhile.
		if (matches) seen.set(file, key);
		else {
			seen.delete(file);
			forged.push(`${oid} (${path.relative(commonDir, file)})`);
			if (forged.length >= limit) return forged;
		}
	}
	return forged;
}

/** Every file under `objects` named like a loose object (objects/ab/cdef…). */
function looseObjectFiles(objects: string): string[] {
	let dirs: string[];
	try {
		dirs = readdirSync(objects).filter(d => d.length === 2 && HEX.test(d));
	} catch {
		return [];
	}
	const files: string[] = [];
	for (const dir of dirs) {
		let names: string[];
		try {
			names = readdirSync(path.join(objects, dir));
		} catch {
			continue;
		}
		for (const name of names) if ((name.length === 38 || name.length === 62) && HEX.test(name)) files.push(path.join(objects, dir, name));
	}
	return files;
}

/** A file's inode and ctime (ctime cannot be set back), or undefined when it is gone. */
function statKey(file: string): string | undefined {
	try {
		const s = statSync(file, {bigint: true});
		return `${s.ino}:${s.ctimeNs}`;
	} catch {
		return undefined;
	}
}

/** The failure reason for forged objects, or undefined when every loose object is what its name says. */
// `packs`: the packs too (git verify-pack re-hashes each one once); a run whose boxes cannot write the store skips that cost.
export async function objectStoreProblem(commonDir: string, opts: {packs?: boolean} = {}): Promise<string | undefined> {
	const forged: string[] = [];
	for (const objects of objectDirs(commonDir)) forged.push(...(await forgedLooseObjects(commonDir, 10, objects)));
	if (opts.packs) forged.push(...(await forgedPacks(commonDir)));
	if (forged.length === 0) return undefined;
	return (
		`git's object store was rewritten: ${forged.length >= 10 ? 'at least ' : ''}${forged.length} object(s) or pack(s) hold content that is not what their id says ` +
		`(${forged.join(', ')}); every checkout of them writes that content while a diff shows nothing. ` +
		`Not merged and not counted. Fix (a person): \`git fsck\` names them; restore them from a clone (or delete them and fetch) before the next run`
	);
}
