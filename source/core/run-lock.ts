import {closeSync, existsSync, mkdirSync, openSync, readFileSync, unlinkSync, writeSync} from 'node:fs';
import {hostname} from 'node:os';
import path from 'node:path';
import {runsDir} from './paths.js';

export type LockInfo = {pid: number; host: string; runId: string; startedAt: string};

export const lockFile = (repoRoot: string): string => path.join(runsDir(repoRoot), 'engine.lock');

function alive(pid: number): boolean {
	try {
		process.kill(pid, 0);
		return true;
	} catch (error) {
		// EPERM: it exists but is not ours, which still means alive.
		return (error as NodeJS.ErrnoException).code === 'EPERM';
	}
}

export function readLock(repoRoot: string): LockInfo | undefined {
	try {
		return JSON.parse(readFileSync(lockFile(repoRoot), 'utf8')) as LockInfo;
	} catch {
		return undefined;
	}
}

/** A lock is stale only when it names this host and its pid is gone (another host's lock is never ours to break). */
export function isStale(info: LockInfo): boolean {
	return info.host === hostname() && !alive(info.pid);
}

export class RunLockedError extends Error {
	constructor(readonly holder: LockInfo) {
		super(
			`another proofloop engine is running in this repo (pid ${holder.pid} on ${holder.host}, run ${holder.runId}, since ${holder.startedAt})\n` +
				`  fix: watch it with \`proofloop attach\`, or stop it with \`proofloop stop\``,
		);
		this.name = 'RunLockedError';
	}
}

/** One engine per repo. Returns a release function. */
export function acquireRunLock(repoRoot: string, runId: string): () => void {
	mkdirSync(runsDir(repoRoot), {recursive: true});
	const file = lockFile(repoRoot);
	const info: LockInfo = {pid: process.pid, host: hostname(), runId, startedAt: new Date().toISOString()};
	for (let tries = 0; tries < 3; tries++) {
		try {
			const fd = openSync(file, 'wx', 0o600);
			writeSync(fd, JSON.stringify(info) + '\n');
			closeSync(fd);
			return () => {
				const current = readLock(repoRoot);
				if (current?.pid === process.pid && existsSync(file)) unlinkSync(file);
			};
		} catch (error) {
			if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
			const holder = readLock(repoRoot);
			// A lock file being written right now may not parse yet: try again.
			if (!holder) continue;
			if (!isStale(holder)) throw new RunLockedError(holder);
			unlinkSync(file);
		}
	}
	throw new Error(`could not take ${file}\n  fix: remove it if no proofloop engine runs in this repo`);
}
