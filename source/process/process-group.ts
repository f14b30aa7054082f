/**
 * Signals to a whole process group. An agent runs detached, so it leads its own
 * group and every tool process it starts (shells, test runners, dev servers)
 * belongs to that group unless it deliberately leaves it. Killing the group,
 * not the pid, is what keeps a grandchild from outliving its attempt.
 */

/**
 * A pgid we may signal. `process.kill(-0)` would hit our own group and
 * `process.kill(-1)` every process we may signal: a corrupt pid in a record
 * must never turn into either.
 */
function assertPgid(pgid: number): void {
	if (!Number.isInteger(pgid) || pgid <= 1) throw new RangeError(`not a process group id: ${pgid}`);
}

/**
 * Send `signal` to every process in the group. Returns false when the group no
 * longer exists (ESRCH), so callers can kill without checking first. EPERM
 * (the id now belongs to someone else's processes) is also false: not ours.
 */
export function killProcessGroup(pgid: number, signal: NodeJS.Signals = 'SIGKILL'): boolean {
	assertPgid(pgid);
	try {
		process.kill(-pgid, signal);
		return true;
	} catch (error) {
		const code = (error as NodeJS.ErrnoException).code;
		if (code === 'ESRCH' || code === 'EPERM') return false;
		throw error;
	}
}

/**
 * Whether any process of the group still exists. Signal 0 checks without
 * sending. EPERM means it exists but is not ours: still alive, and the engine
 * must not assume its orphan is gone. (A group holding only zombies counts as
 * alive until their parent reaps them.)
 */
export function processGroupAlive(pgid: number): boolean {
	assertPgid(pgid);
	try {
		process.kill(-pgid, 0);
		return true;
	} catch (error) {
		const code = (error as NodeJS.ErrnoException).code;
		if (code === 'EPERM') return true;
		if (code === 'ESRCH') return false;
		throw error;
	}
}
