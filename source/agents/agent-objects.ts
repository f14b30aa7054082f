/**
 * A sandboxed agent's git writes its objects to a store of its own, beside
 * its worktree's gitdir, and reads the repository's through an alternate: the
 * shared store stays read-only in the box. Writable, it let an agent unlink
 * base's objects (a damaged repository, a check "not in base") or plant an
 * object under an id the engine would write later (git keeps a file it finds).
 * After the agent, each of its objects is checked (its id, then by git) and copied in.
 */
import {chmodSync, lstatSync, mkdirSync, readdirSync, rmSync, type Dirent} from 'node:fs';
import path from 'node:path';
import type {Readable} from 'node:stream';
import {execa} from 'execa';
import {gitEnv} from '../git/run.js';
import {gitWrites} from './git-writes.js';
import {checkLoose, packStream, type LooseObject} from './loose-pack.js';

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

/** `git unpack-objects --strict` into the shared store: each object's form and links checked by git. The first line it said, or undefined. */
async function unpack(commonDir: string, from: {inputFile: string} | {input: Readable}): Promise<string | undefined> {
	const unpacked = await execa('git', ['unpack-objects', '-q', '--strict'], {cwd: commonDir, env: gitEnv(), extendEnv: false, reject: false, ...from});
	return unpacked.exitCode === 0 ? undefined : unpacked.stderr.split('\n')[0] || `exit ${unpacked.exitCode}`;
}

export type ObjectImport = {imported: number; refused: string[]};

/** A directory of the agent's store, listed: made readable first (the agent may have made it 000), refused and named when it still cannot be. */
function listed(dir: string, name: string, refused: string[]): Dirent[] {
	try {
		chmodSync(dir, 0o700);
		return readdirSync(dir, {withFileTypes: true});
	} catch (error) {
		refused.push(`${name} (${(error as NodeJS.ErrnoException).code ?? 'unreadable'})`);
		return [];
	}
}

/**
 * Moves what the agent wrote into the shared store through git, which checks
 * every object (`unpack-objects --strict`): its packs, then its loose objects
 * (those whose bytes match their id) as one more pack. Anything else (a file
 * of another kind: a fifo would hang the read, a symlink reads elsewhere) is
 * refused and named; the agent's store is emptied.
 */
export async function importAgentObjects(gitDir: string, commonDir: string): Promise<ObjectImport> {
	const own = agentObjectDir(gitDir);
	const result: ObjectImport = {imported: 0, refused: []};
	const stat = lstatSync(own, {throwIfNoEntry: false});
	if (!stat) return result;
	if (!stat.isDirectory()) {
		result.refused.push(`${DIR} (not a directory)`);
		rmSync(own, {force: true});
		return result;
	}
	const loose: LooseObject[] = [];
	const packs: string[] = [];
	for (const fan of listed(own, DIR, result.refused)) {
		if (!fan.isDirectory()) continue;
		if (/^[0-9a-f]{2}$/.test(fan.name)) {
			for (const entry of listed(path.join(own, fan.name), fan.name, result.refused)) {
				const file = path.join(own, fan.name, entry.name);
				const object = entry.isFile() && /^([0-9a-f]{38}|[0-9a-f]{62})$/.test(entry.name) ? await checkLoose(file, fan.name + entry.name) : undefined;
				if (object) loose.push(object);
				else if (!entry.name.startsWith('tmp_obj_')) result.refused.push(`${fan.name}/${entry.name}`);
			}
		} else if (fan.name === 'pack') {
			for (const entry of listed(path.join(own, 'pack'), 'pack', result.refused)) {
				if (!entry.name.endsWith('.pack')) continue;
				if (entry.isFile()) packs.push(path.join(own, 'pack', entry.name));
				else result.refused.push(`pack/${entry.name} (not a file)`);
			}
		}
	}
	// Each pack, and the loose objects as one more: git checks each one's links, so one that names objects of
	// another (a commit after a `git gc`, a fetch onto a loose commit) goes again once that other is in.
	const hash = loose.length > 0 && path.basename(loose[0]!.file).length === 62 ? 'sha256' : 'sha1';
	let pending = [
		...packs.map(pack => ({name: `pack/${path.basename(pack)}`, count: 1, from: () => ({inputFile: pack})})),
		...(loose.length > 0 ? [{name: `${loose.length} loose object(s)`, count: loose.length, from: () => ({input: packStream(loose, hash)})}] : []),
	];
	for (let progress = true; pending.length > 0 && progress;) {
		progress = false;
		const failed: Array<(typeof pending)[number] & {said: string}> = [];
		for (const source of pending) {
			const said = await unpack(commonDir, source.from());
			if (said === undefined) {
				result.imported += source.count;
				progress = true;
			} else failed.push({...source, said});
		}
		pending = failed;
		if (!progress) for (const source of failed) result.refused.push(`${source.name} (${source.said})`);
	}
	try {
		rmSync(own, {recursive: true, force: true});
	} catch {
		// A directory the agent made unremovable stays; the next import lists it again, and refuses it again.
	}
	return result;
}

/** The import for a sandboxed agent's worktree, when it is a linked one (else nothing was given to write). */
export async function importWorktreeObjects(worktree: string): Promise<ObjectImport | undefined> {
	const git = gitWrites(worktree);
	if (!git.gitDir || !git.commonDir || git.ownRepo) return undefined;
	return importAgentObjects(git.gitDir, git.commonDir);
}
