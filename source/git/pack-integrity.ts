import {readdirSync, readFileSync, statSync} from 'node:fs';
import path from 'node:path';
import {runGit} from './run.js';

// Git looks an object up in the packs before the loose objects, and reads a
// packed one by its index without checking the content against the id: a
// pack of an agent's own (an index that files forged content under base's ids)
// shadows base's verify script as a rewritten loose object would. So does any
// store an alternate names. `git verify-pack` re-hashes every object of a pack.

/** Per object store: pack index -> the ino:ctime of it and its pack when git last found them true. */
const verified = new Map<string, string>();

const statKey = (file: string): string | undefined => {
	try {
		const s = statSync(file, {bigint: true});
		return `${s.ino}:${s.ctimeNs}`;
	} catch {
		return undefined;
	}
};

/** The object directories git reads for this repository: its own, and those its alternates name (recursively, once each). */
export function objectDirs(commonDir: string): string[] {
	const dirs = [path.join(commonDir, 'objects')];
	for (let i = 0; i < dirs.length && dirs.length < 64; i++) {
		let listed: string;
		try {
			listed = readFileSync(path.join(dirs[i]!, 'info', 'alternates'), 'utf8');
		} catch {
			continue;
		}
		for (const line of listed.split('\n')) {
			const entry = line.trim().replace(/^"(.*)"$/, '$1');
			if (entry === '' || entry.startsWith('#')) continue;
			const dir = path.resolve(dirs[i]!, entry);
			if (!dirs.includes(dir)) dirs.push(dir);
		}
	}
	return dirs;
}

/** The packs of every object directory that `git verify-pack` finds false (at most `limit`), each as `<idx> (<what git said>)`. */
export async function forgedPacks(commonDir: string, limit = 10): Promise<string[]> {
	const forged: string[] = [];
	for (const objects of objectDirs(commonDir)) {
		let names: string[];
		try {
			names = readdirSync(path.join(objects, 'pack')).filter(name => name.endsWith('.idx'));
		} catch {
			continue;
		}
		for (const name of names) {
			const idx = path.join(objects, 'pack', name);
			const keyOf = () => `${statKey(idx)}/${statKey(idx.replace(/\.idx$/, '.pack'))}`;
			const key = keyOf();
			if (key.includes('undefined') || verified.get(idx) === key) continue; // Gone (a repack), or unchanged since found true.
			const result = await runGit(commonDir, ['verify-pack', idx]);
			if (result.exitCode === 0) verified.set(idx, key);
			else if (keyOf() === key) {
				// (One that went or changed meanwhile was git repacking, not found false: the next look reads it again.)
				verified.delete(idx);
				forged.push(`${path.relative(commonDir, idx)} (${result.stderr.trim().split('\n')[0] ?? `exit ${result.exitCode}`})`);
				if (forged.length >= limit) return forged;
			}
		}
	}
	return forged;
}
