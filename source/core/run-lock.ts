import {closeSync, existsSync, mkdirSync, openSync, readFileSync, statSync, unlinkSync, writeSync} from 'node:fs';
import {hostname} from 'node:os';
import path from 'node:path';
import {runsDir} from './paths.js';

/** `pidStart`: when that pid's process started (Linux), so a pid reused by another process after a crash is not taken for the engine. */
export type LockInfo = {pid: number; host: string; runId: string; startedAt: string; pidStart?: string};

export const lockFile = (repoRoot: string): string => path.join(runsDir(repoRoot), 'engine.lock');

/** The start time of a process in clock ticks since boot (field 22 of /proc/<pid>/stat); undefined where there is no /proc. */
export function processStart(pid: number): string | undefined {
	try {
		const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
		// The command name (field 2) may hold spaces and parentheses: count from the last ')'.
		return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
	} catch {
		return undefined;
	}
}

function alive(pid: number, pidStart: string | undefined): boolean {
	try {
		process.kill(pid, 0);
	} catch (error) {
		// EPERM: it exists but is not ours, which still means alive.
		if ((error as NodeJS.ErrnoException).code !== 'EPERM') return false;
	}
	// The pid is taken: by the engine that wrote the lock, or by a process that got its pid after a crash.
	if (pidStart === undefined) return true;
	const now = processStart(pid);
	return now === undefined || now === pidStart;
}

const sleepSync = (ms: number): void => {
	Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
};

/** A breaker older than this was left by a process that died while breaking a lock. */
const BREAKER_STALE_MS = 10_000;

/**
 * Remove a stale lock, but only if it is still the one found stale: two engines
 * starting at once may both find it, and the second must not delete the lock
 * the first has just taken. A short-lived `.break` file makes breaking one at
 * a time. True when this call removed it (or it was already gone).
 */
function breakStale(file: string, stale: LockInfo): boolean {
	const breaker = `${file}.break`;
	try {
		closeSync(openSync(breaker, 'wx', 0o600));
	} catch (error) {
		if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
		try {
			if (Date.now() - statSync(breaker).mtimeMs > BREAKER_STALE_MS) unlinkSync(breaker);
		} catch {
			// gone meanwhile: the other breaker finished
		}
		return false;
	}
	try {
		// Only the very lock found stale: one that is gone or half-written now may be a new engine's.
		const current = readLockFile(file);
		if (!current) return !existsSync(file);
		if (current.pid !== stale.pid || current.startedAt !== stale.startedAt) return false;
		unlinkSync(file);
		return true;
	} finally {
		unlinkSync(breaker);
	}
}

export function readLock(repoRoot: string): LockInfo | undefined {
	return readLockFile(lockFile(repoRoot));
}

function readLockFile(file: string): LockInfo | undefined {
	try {
		return JSON.parse(readFileSync(file, 'utf8')) as LockInfo;
	} catch {
		return undefined;
	}
}

/** A lock is stale only when it names this host and its pid is gone (another host's lock is never ours to break). */
export function isStale(info: LockInfo): boolean {
	return info.host === hostname() && !alive(info.pid, info.pidStart);
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
	const pidStart = processStart(process.pid);
	const info: LockInfo = {pid: process.pid, host: hostname(), runId, startedAt: new Date().toISOString(), ...(pidStart ? {pidStart} : {})};
	for (let tries = 0; tries < 100; tries++) {
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
			if (!holder) {
				sleepSync(20);
				continue;
			}
			if (!isStale(holder)) throw new RunLockedError(holder);
			if (!breakStale(file, holder)) sleepSync(20);
		}
	}
	throw new Error(`could not take ${file}\n  fix: remove it if no proofloop engine runs in this repo`);
}
