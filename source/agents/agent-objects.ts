/**
 * A sandboxed agent's git writes its objects to a store of its own, beside
 * its worktree's gitdir, and reads the repository's through an alternate: the
 * shared store stays read-only in the box. Writable, it let an agent unlink
 * base's objects (a damaged repository, a check "not in base") or plant an
 * object under an id the engine would write later (git keeps a file it finds).
 * After the agent, each of its objects is checked against its id and copied in.
 */
import {createHash, randomBytes} from 'node:crypto';
import {closeSync, constants, existsSync, fsyncSync, linkSync, mkdirSync, openSync, readdirSync, readFileSync, rmSync, unlinkSync, writeSync} from 'node:fs';
import path from 'node:path';
import {inflateSync} from 'node:zlib';
import {execa} from 'execa';
import {gitEnv} from '../git/run.js';
import {gitWrites} from './git-writes.js';

const DIR = 'agent-objects';

/** The agent's own object store for a linked worktree's gitdir. */
export const agentObjectDir = (gitDir: string): string => path.join(gitDir, DIR);

/** The environment that sends the agent's git objects to its own store. */
export function agentObjectEnv(gitDir: string, commonDir: string): Record<string, string> {
	const own = agentObjectDir(gitDir);
	mkdirSync(own, {recursive: true});
	const shared = path.join(commonDir, 'objects');
	// The variable is a `:`-separated list; a path with a colon (or a quote) is given C-quoted, as git reads it.
	const alternate = /[:"\\]/.test(shared) ? `"${shared.replace(/["\\]/g, c => `\\${c}`)}"` : shared;
	return {GIT_OBJECT_DIRECTORY: own, GIT_ALTERNATE_OBJECT_DIRECTORIES: alternate};
}

/** Whether a loose object's bytes inflate to the object its id names. */
function verified(bytes: Buffer, id: string): boolean {
	let raw: Buffer;
	try {
		raw = inflateSync(bytes);
	} catch {
		return false;
	}
	const nul = raw.indexOf(0);
	const header = /^(blob|tree|commit|tag) (\d+)$/.exec(raw.subarray(0, Math.max(nul, 0)).toString('latin1'));
	if (nul < 0 || !header || Number(header[2]) !== raw.length - nul - 1) return false;
	return (
		createHash(id.length === 64 ? 'sha256' : 'sha1')
			.update(raw)
			.digest('hex') === id
	);
}

/** Copies the verified bytes in as git does: a temporary file, fsync'd, linked into place (a file already there is kept). */
function place(objects: string, id: string, bytes: Buffer): void {
	const dir = path.join(objects, id.slice(0, 2));
	const file = path.join(dir, id.slice(2));
	if (existsSync(file)) return;
	mkdirSync(dir, {recursive: true});
	const temporary = path.join(dir, `tmp_obj_${process.pid}_${randomBytes(4).toString('hex')}`);
	const fd = openSync(temporary, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o444);
	try {
		writeSync(fd, bytes);
		fsyncSync(fd);
	} finally {
		closeSync(fd);
	}
	try {
		linkSync(temporary, file);
	} catch (error) {
		if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
	} finally {
		unlinkSync(temporary);
	}
}

export type ObjectImport = {imported: number; refused: string[]};

/**
 * Moves what the agent wrote into the shared store: loose objects whose bytes
 * match their id, and packs through `git unpack-objects` (which checks every
 * object). Anything else is refused and named; the agent's store is emptied.
 */
export async function importAgentObjects(gitDir: string, commonDir: string): Promise<ObjectImport> {
	const own = agentObjectDir(gitDir);
	const objects = path.join(commonDir, 'objects');
	const result: ObjectImport = {imported: 0, refused: []};
	if (!existsSync(own)) return result;
	for (const fan of readdirSync(own, {withFileTypes: true})) {
		if (!fan.isDirectory()) continue;
		if (/^[0-9a-f]{2}$/.test(fan.name)) {
			for (const entry of readdirSync(path.join(own, fan.name), {withFileTypes: true})) {
				const id = fan.name + entry.name;
				const bytes = entry.isFile() && /^([0-9a-f]{38}|[0-9a-f]{62})$/.test(entry.name) ? readFileSync(path.join(own, fan.name, entry.name)) : undefined;
				if (bytes && verified(bytes, id)) {
					place(objects, id, bytes);
					result.imported++;
				} else if (!entry.name.startsWith('tmp_obj_')) result.refused.push(`${fan.name}/${entry.name}`);
			}
		} else if (fan.name === 'pack') {
			for (const name of readdirSync(path.join(own, 'pack')).filter(n => n.endsWith('.pack'))) {
				const unpacked = await execa('git', ['unpack-objects', '-q', '--strict'], {
					cwd: commonDir,
					env: gitEnv(),
					extendEnv: false,
					inputFile: path.join(own, 'pack', name),
					reject: false,
				});
				if (unpacked.exitCode === 0) result.imported++;
				else result.refused.push(`pack/${name}`);
			}
		}
	}
	rmSync(own, {recursive: true, force: true});
	return result;
}

/** The import for a sandboxed agent's worktree, when it is a linked one (else nothing was given to write). */
export async function importWorktreeObjects(worktree: string): Promise<ObjectImport | undefined> {
	const git = gitWrites(worktree);
	if (!git.gitDir || !git.commonDir || git.ownRepo) return undefined;
	return importAgentObjects(git.gitDir, git.commonDir);
}
