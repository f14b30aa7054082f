import {randomBytes, timingSafeEqual} from 'node:crypto';
import {chmodSync, lstatSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import path from 'node:path';
import {sha256} from '../lib/sha256.js';

/**
 * Where a run's channels live: one directory per engine, mode 0700, outside
 * the repository and the run directory (which every box sees read-only), and
 * hidden in every box by an empty mount (sandbox.ts `hide`). It holds the
 * human channel's socket and key and each attempt's worker socket; a box gets
 * its own worker socket bound back in, nothing else. Unsandboxed agents run
 * as the same user and can read it: there, the key only keeps it out of their
 * environment and makes a human verb a deliberate act (see README, trust).
 */

/** The directory under which every run's channels live (hidden from every box as a whole). */
export function channelsRoot(env: NodeJS.ProcessEnv = process.env): string {
	const runtime = env['XDG_RUNTIME_DIR'];
	if (runtime && path.isAbsolute(runtime) && isOwnDir(runtime)) return path.join(runtime, 'proofloop');
	const uid = process.getuid?.() ?? 0;
	return path.join(tmpdir(), `proofloop-${uid}`);
}

function isOwnDir(dir: string): boolean {
	try {
		const stat = lstatSync(dir);
		return stat.isDirectory() && stat.uid === (process.getuid?.() ?? stat.uid);
	} catch {
		return false;
	}
}

/** A directory that is ours alone: created 0700, or refused when someone else made it (a squatter in /tmp). */
export function ensurePrivateDir(dir: string): void {
	mkdirSync(dir, {recursive: true, mode: 0o700});
	const stat = lstatSync(dir);
	const uid = process.getuid?.();
	if (!stat.isDirectory() || (uid !== undefined && stat.uid !== uid)) {
		throw new Error(
			`${dir} is not a directory of this user (uid ${uid}); the run's control channel cannot live there\n  fix: ` +
				`remove it (it may have been made by someone else), or set XDG_RUNTIME_DIR to a private directory`,
		);
	}
	if ((stat.mode & 0o077) !== 0) chmodSync(dir, 0o700);
}

export type ChannelDir = {dir: string; socket: string; keyFile: string};

/** The channel directory of the run in `runDirPath` (short: a socket path must fit in 108 bytes). */
export function channelDirFor(runDirPath: string, env: NodeJS.ProcessEnv = process.env): ChannelDir {
	const dir = path.join(channelsRoot(env), sha256(runDirPath).slice(0, 16));
	return {dir, socket: path.join(dir, 'human.sock'), keyFile: path.join(dir, 'key')};
}

/** Make the directory and a fresh key for this engine (a key of a dead engine opens nothing). */
export function prepareChannelDir(channel: ChannelDir): string {
	ensurePrivateDir(path.dirname(channel.dir));
	ensurePrivateDir(channel.dir);
	// A crashed engine's worker sockets: nothing listens on them any more.
	for (const name of readdirSync(channel.dir)) if (/^w-[0-9a-f]+\.sock$/.test(name)) rmSync(path.join(channel.dir, name), {force: true});
	const key = randomBytes(32).toString('hex');
	const temp = `${channel.keyFile}.${process.pid}.tmp`;
	writeFileSync(temp, key + '\n', {mode: 0o600});
	renameSync(temp, channel.keyFile);
	return key;
}

export function removeChannelDir(channel: ChannelDir): void {
	rmSync(channel.dir, {recursive: true, force: true});
}

/** The key a human CLI presents, read from its 0600 file, after checking the directory is private. */
export function readKey(channel: ChannelDir): string {
	const stat = lstatSync(channel.dir);
	const uid = process.getuid?.();
	if (!stat.isDirectory() || (uid !== undefined && stat.uid !== uid) || (stat.mode & 0o077) !== 0) {
		throw new Error(
			`${channel.dir} is not a private directory of this user; refusing to send it the run's key\n  fix: stop the engine (kill its pid), ` +
				`remove ${channel.dir} and start the run again`,
		);
	}
	return readFileSync(channel.keyFile, 'utf8').trim();
}

export function sameKey(given: string, key: string): boolean {
	const a = Buffer.from(given);
	const b = Buffer.from(key);
	return a.length === b.length && timingSafeEqual(a, b);
}

/** A fresh worker socket path in the run's channel directory (random: nothing to guess from a ticket id). */
export function workerSocketPath(channel: ChannelDir): string {
	return path.join(channel.dir, `w-${randomBytes(6).toString('hex')}.sock`);
}
