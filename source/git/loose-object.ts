import {createHash, randomBytes} from 'node:crypto';
import {closeSync, constants, existsSync, fsyncSync, linkSync, mkdirSync, openSync, unlinkSync, writeSync} from 'node:fs';
import path from 'node:path';
import {deflateSync} from 'node:zlib';
import {intentsDurable} from '../lib/intent-barrier.js';
import {runGit} from './run.js';

/**
 * Blobs and trees written as loose objects by the engine itself, as `git
 * hash-object -w` and `git mktree` write them (same id, same zlib framing),
 * fsync'd as `core.fsync=committed` would: the ledger's append made two git
 * processes per ticket for this, under the repository's lock. Only where the
 * files are plain git's (no shared-repository permissions to keep): else
 * undefined, and the caller runs git.
 */
export type ObjectFormat = 'sha1' | 'sha256';

type Store = {objects: string; format: ObjectFormat};
const stores = new Map<string, Promise<Store | undefined>>();

/** Where `root`'s objects go and their hash, asked once per root (the config is a control file: a change mid-run halts it). */
export function looseObjectStore(root: string): Promise<Store | undefined> {
	let store = stores.get(root);
	if (!store) {
		store = (async () => {
			const [common, config] = await Promise.all([
				runGit(root, ['rev-parse', '--path-format=absolute', '--git-common-dir']),
				runGit(root, ['config', '-z', '--get-regexp', '^(core\\.sharedrepository|extensions\\.objectformat)$']),
			]);
			if (common.exitCode !== 0 || (config.exitCode !== 0 && config.exitCode !== 1)) return undefined;
			const entries = new Map(
				config.stdout
					.split('\0')
					.filter(Boolean)
					.map(entry => [entry.slice(0, entry.indexOf('\n')).toLowerCase(), entry.slice(entry.indexOf('\n') + 1)] as const),
			);
			if (entries.has('core.sharedrepository')) return undefined;
			const format = (entries.get('extensions.objectformat') ?? 'sha1').toLowerCase();
			if (format !== 'sha1' && format !== 'sha256') return undefined;
			return {objects: path.join(common.stdout.trim(), 'objects'), format};
		})();
		// A git that could not answer is asked again next time.
		void store.then(found => found ?? stores.delete(root));
		stores.set(root, store);
	}
	return store;
}

/** The id git gives an object of `type` holding `content` (pure). */
export function objectId(type: 'blob' | 'tree', content: Buffer, format: ObjectFormat): string {
	return createHash(format).update(`${type} ${content.length}\0`).update(content).digest('hex');
}

/** A tree of plain files (mode 100644), entries in git's order (pure). */
export function treeContent(entries: {name: string; oid: string}[]): Buffer {
	const sorted = [...entries].sort((a, b) => Buffer.compare(Buffer.from(a.name), Buffer.from(b.name)));
	return Buffer.concat(sorted.flatMap(e => [Buffer.from(`100644 ${e.name}\0`), Buffer.from(e.oid, 'hex')]));
}

/**
 * Writes the object (unless its file is there, as git does) and returns its
 * id: a temporary file fsync'd, linked into place, the directory fsync'd.
 * After the intents before it are durable, as every git process is.
 */
export async function writeLooseObject(store: Store, type: 'blob' | 'tree', content: Buffer): Promise<string> {
	await intentsDurable();
	const oid = objectId(type, content, store.format);
	const dir = path.join(store.objects, oid.slice(0, 2));
	const file = path.join(dir, oid.slice(2));
	if (existsSync(file)) return oid;
	mkdirSync(dir, {recursive: true});
	const temporary = path.join(dir, `tmp_obj_${process.pid}_${randomBytes(4).toString('hex')}`);
	const fd = openSync(temporary, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o444);
	try {
		writeSync(fd, deflateSync(Buffer.concat([Buffer.from(`${type} ${content.length}\0`), content])));
		fsyncSync(fd);
	} finally {
		closeSync(fd);
	}
	try {
		linkSync(temporary, file);
	} catch (error) {
		// Written meanwhile by someone else: the same id is the same content.
		if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
	} finally {
		unlinkSync(temporary);
	}
	const dirFd = openSync(dir, 'r');
	try {
		fsyncSync(dirFd);
	} finally {
		closeSync(dirFd);
	}
	return oid;
}
