/**
 * Remembers that a given oracle passed its conformance fixtures, so every
 * engine start need not spend seconds re-running 40-odd fixtures on files
 * that hash to the very bytes that passed before.
 *
 * The key covers everything the answer depends on: SHA256SUMS (which pins the
 * oracle, the fixtures and their runner, each checked against its pin before
 * the cache is consulted), the Node runtime and git. Any edit to any of them is a
 * new key and a fresh run. `proofloop oracle --self-test` and the check after
 * a heal never use the cache. Sandboxed agents cannot write here: the sandbox
 * keeps proofloop's whole cache directory read-only even inside a writable
 * ~/.cache (the directory itself, so it cannot be renamed away and replaced).
 */
import {existsSync, mkdirSync, readFileSync, writeFileSync} from 'node:fs';
import {homedir} from 'node:os';
import path from 'node:path';
import {sha256} from '../lib/sha256.js';

export function tripwireCacheDir(env: NodeJS.ProcessEnv = process.env): string {
	const base = env['PROOFLOOP_CACHE_HOME'] ?? path.join(env['XDG_CACHE_HOME'] ?? path.join(env['HOME'] ?? homedir(), '.cache'), 'proofloop');
	return path.join(base, 'tripwire');
}

/** The directory, made if missing: a sandbox can only keep read-only what exists. */
export function ensureTripwireCacheDir(env: NodeJS.ProcessEnv = process.env): string {
	const dir = tripwireCacheDir(env);
	try {
		mkdirSync(dir, {recursive: true});
	} catch {
		// an unwritable home: nothing can be cached there, by us or by an agent
	}
	return dir;
}

/** `git`: the version and path of the git the fixtures judge through. */
export function tripwireKey(sumsText: string, git: string): string {
	return sha256(`${sumsText}\n${process.version}\n${process.execPath}\n${git}`);
}

export function passedBefore(key: string, env: NodeJS.ProcessEnv = process.env): boolean {
	const file = path.join(tripwireCacheDir(env), key);
	return existsSync(file) && readFileSync(file, 'utf8').trim() === `pass ${key}`;
}

/** Best effort: a cache that cannot be written only costs the next start a fresh run. */
export function rememberPass(key: string, env: NodeJS.ProcessEnv = process.env): void {
	try {
		const dir = tripwireCacheDir(env);
		mkdirSync(dir, {recursive: true});
		writeFileSync(path.join(dir, key), `pass ${key}\n`);
	} catch {
		// read-only home, full disk: run the fixtures next time
	}
}
