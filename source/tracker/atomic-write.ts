import {randomBytes} from 'node:crypto';
import {open, rename, rm, stat} from 'node:fs/promises';
import {closeSync, fsyncSync, openSync, readdirSync, renameSync, rmSync, writeFileSync} from 'node:fs';
import {basename, dirname, join} from 'node:path';

/**
 * Replace a file so that a reader (or a crash) sees the old text or the new
 * text, never a mix: write a temp file in the same directory, fsync it, rename
 * it over the target, fsync the directory so the rename itself is durable.
 * The temp name starts with "." and ends in ".tmp", so ticket loaders skip it.
 */
export async function writeFileAtomic(path: string, text: string): Promise<void> {
	const dir = dirname(path);
	const temp = join(dir, `.${basename(path)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
	const mode = await stat(path).then(
		s => s.mode & 0o777,
		() => 0o644,
	);
	try {
		const handle = await open(temp, 'wx', mode);
		try {
			await handle.writeFile(text, 'utf8');
			await handle.sync();
		} finally {
			await handle.close();
		}
		await rename(temp, path);
	} catch (error) {
		await rm(temp, {force: true});
		throw error;
	}
	await syncDirectory(dir);
}

async function syncDirectory(dir: string): Promise<void> {
	// Windows cannot open a directory for fsync; elsewhere a failure is real.
	if (process.platform === 'win32') return;
	const handle = await open(dir, 'r');
	try {
		await handle.sync();
	} finally {
		await handle.close();
	}
}

/** The same, synchronously, for the few writes that happen before anything async may run (a run's manifest). */
export function writeFileAtomicSync(path: string, text: string, mode = 0o600): void {
	const dir = dirname(path);
	const temp = join(dir, `.${basename(path)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
	try {
		const fd = openSync(temp, 'wx', mode);
		try {
			writeFileSync(fd, text, 'utf8');
			fsyncSync(fd);
		} finally {
			closeSync(fd);
		}
		renameSync(temp, path);
	} catch (error) {
		rmSync(temp, {force: true});
		throw error;
	}
	if (process.platform === 'win32') return;
	const dirFd = openSync(dir, 'r');
	try {
		fsyncSync(dirFd);
	} finally {
		closeSync(dirFd);
	}
}

const TEMP = /^\..+\.(\d+)\.[0-9a-f]{12}\.tmp$/;

const alive = (pid: number) => {
	try {
		process.kill(pid, 0);
		return true;
	} catch (error) {
		return (error as NodeJS.ErrnoException).code === 'EPERM';
	}
};

/** Removes the temp files a writer killed mid-write (kill -9) left in `dir`: those of a process that is gone. Returns their names. */
export function sweepStaleTemps(dir: string): string[] {
	let names: string[];
	try {
		names = readdirSync(dir);
	} catch {
		return [];
	}
	const stale = names.filter(name => {
		const pid = Number(TEMP.exec(name)?.[1]);
		return pid > 0 && pid !== process.pid && !alive(pid);
	});
	for (const name of stale) rmSync(join(dir, name), {force: true});
	return stale;
}
