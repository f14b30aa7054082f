/**
 * The mechanics of killing a cgroup subtree and removing it (containment.ts
 * decides what goes where). Frozen first where the hierarchy can, killed until
 * empty, removed deepest first with rmdir.
 */
import {existsSync, readdirSync, readFileSync, rmdirSync, statSync, writeFileSync} from 'node:fs';
import path from 'node:path';

export type Hierarchy = 'unified' | 'freezer' | 'pids';

const sleepSync = (ms: number): void => void Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);

/** A cgroup this old with no process in it is over: a spawn's process enters its cgroup within moments of its mkdir. */
const ABANDONED_MS = 10 * 60_000;

/**
 * Remove the empty cgroups other runs left (an engine killed and never
 * resumed). Only rmdir, which the kernel refuses for a cgroup with a process
 * or a child in it, and only old ones: nothing of a live run is touched.
 */
export function sweepAbandoned(root: string): void {
	// Ages first: removing a child touches its parent's mtime.
	const old = cgroupsUnder(root).filter(dir => {
		try {
			return dir !== root && Date.now() - statSync(dir).mtimeMs > ABANDONED_MS;
		} catch {
			return false;
		}
	});
	for (const dir of old) {
		try {
			if (pidsIn([dir]).length === 0) rmdirSync(dir);
		} catch {
			// Busy (in use after all), or gone.
		}
	}
}

/** Every cgroup directory at and below `dir`, deepest first. */
export function cgroupsUnder(dir: string): string[] {
	let entries: string[];
	try {
		entries = readdirSync(dir, {withFileTypes: true})
			.filter(e => e.isDirectory())
			.map(e => path.join(dir, e.name));
	} catch {
		return [];
	}
	return [...entries.flatMap(cgroupsUnder), dir];
}

export function pidsIn(dirs: string[]): number[] {
	return dirs.flatMap(dir => {
		try {
			return readFileSync(path.join(dir, 'cgroup.procs'), 'utf8').split('\n').filter(Boolean).map(Number);
		} catch {
			return [];
		}
	});
}

const write = (file: string, value: string): boolean => {
	try {
		writeFileSync(file, value);
		return true;
	} catch {
		return false;
	}
};

const killAll = (pids: number[]): void => {
	for (const pid of pids) {
		try {
			if (pid > 1) process.kill(pid, 'SIGKILL');
		} catch {
			// Gone already.
		}
	}
};

/**
 * Kill every process in `dir` and below, then remove the directories. Frozen
 * first where the hierarchy can (nothing forks between listing and killing);
 * without a freezer, killed until empty. Bounded: a cgroup that will not empty
 * (a zombie nobody reaps) stays, and the run's end or next start tries again.
 */
export function killTree(dir: string, hierarchy: Hierarchy): number[] {
	if (!existsSync(dir)) return [];
	const dirs = cgroupsUnder(dir);
	const seen = new Set(pidsIn(dirs));
	if (hierarchy === 'unified' && write(path.join(dir, 'cgroup.kill'), '1')) {
		// The kernel kills the whole subtree, forks in flight included.
	} else if (
		hierarchy === 'unified' ? write(path.join(dir, 'cgroup.freeze'), '1') : hierarchy === 'freezer' && write(path.join(dir, 'freezer.state'), 'FROZEN')
	) {
		for (let i = 0; i < 50 && !frozen(dir, hierarchy); i++) sleepSync(10);
		const pids = pidsIn(dirs);
		for (const pid of pids) seen.add(pid);
		killAll(pids);
		// SIGKILL is delivered once thawed.
		if (hierarchy === 'unified') write(path.join(dir, 'cgroup.freeze'), '0');
		else write(path.join(dir, 'freezer.state'), 'THAWED');
	}
	for (let i = 0; i < 200; i++) {
		const left = pidsIn(dirs);
		if (left.length === 0) break;
		for (const pid of left) seen.add(pid);
		killAll(left);
		sleepSync(10);
	}
	removeTree(dir);
	return [...seen];
}

function frozen(dir: string, hierarchy: Hierarchy): boolean {
	try {
		if (hierarchy === 'unified') return /^frozen 1$/m.test(readFileSync(path.join(dir, 'cgroup.events'), 'utf8'));
		return readFileSync(path.join(dir, 'freezer.state'), 'utf8').trim() === 'FROZEN';
	} catch {
		return true;
	}
}

/** rmdir, deepest first (a cgroup directory is removed with rmdir, never with its files). */
export function removeTree(dir: string): void {
	for (const d of cgroupsUnder(dir)) {
		for (let i = 0; i < 20; i++) {
			try {
				rmdirSync(d);
				break;
			} catch (error) {
				const code = (error as NodeJS.ErrnoException).code;
				if (code === 'ENOENT') break;
				// EBUSY: a process still exiting.
				sleepSync(5);
			}
		}
	}
}
