import {reapRunProcesses} from '../process/orphans.js';

/**
 * A full disk (or a used-up quota, or a `ulimit -f`) is the machine's problem,
 * not a ticket's: an attempt that cannot write its prompt, its log or its
 * checks' output must not be counted as the ticket failing (three of those and
 * a ticket is marked failed for nothing). The run stops the way a crash stops,
 * which resume is built for, and says which file, why, and how to fix it.
 */

const CAUSES: Record<string, string> = {
	ENOSPC: 'the disk is full (ENOSPC)',
	EDQUOT: 'the disk quota is used up (EDQUOT)',
	EFBIG: 'the file reached the size this process may write (EFBIG: a `ulimit -f` or filesystem limit)',
};

/** What git and other child processes print for the same causes (they reach us as text, not as an errno). */
// Only as the system's strerror ends a line ("...: No space left on device"): an agent chooses file names that
// appear in git's messages, and a file called "file too large" must not stop the run as a full disk.
const TEXT = /: (No space left on device|Disk quota exceeded|File too large)$/m;

/** Why `error` is a no-room-to-write failure, or undefined when it is something else. */
export function diskFullCause(error: unknown): string | undefined {
	const code = (error as NodeJS.ErrnoException | undefined)?.code;
	if (code !== undefined && CAUSES[code]) return CAUSES[code];
	const message = error instanceof Error ? error.message : typeof error === 'string' ? error : '';
	const match = TEXT.exec(message);
	return match ? `the disk is full (${match[1]})` : undefined;
}

/** The file a failed write names, when the error carries one. */
export function failedPath(error: unknown): string | undefined {
	const file = (error as NodeJS.ErrnoException | undefined)?.path;
	return typeof file === 'string' ? file : undefined;
}

/** How a run stops when it finds no room to write (start-run gives each run its own). */
export type DiskFullStop = (cause: string, file: string | undefined) => never;

/** Ends the run if `error` is a full disk and the run says how to stop; otherwise returns and the caller goes on. */
export function stopIfDiskFull(run: {onDiskFull?: DiskFullStop | undefined}, error: unknown, file?: string): void {
	const cause = diskFullCause(error);
	if (cause === undefined || run.onDiskFull === undefined) return;
	run.onDiskFull(cause, file ?? failedPath(error));
}

/** A full disk outside a run's attempts (the report, a manifest): said as bad input is, exit 2, no stack trace. */
export class DiskFullError extends Error {
	override readonly name: string = 'DiskFullError';
}

/** A run that cannot write its log or its files: it stops at once, as a crash does, and says the file, why and the fix. */
export class RunUnwritableError extends DiskFullError {
	override readonly name = 'RunUnwritableError';
	constructor(what: string, dir: string, why: string) {
		super(
			`cannot write ${what}: ${why}.\n` +
				'  The run stops here, before acting on anything it could not record; what was recorded is kept (a torn last line is repaired on resume).\n' +
				`  fix: free space where it lives (df -h ${dir}), then run \`proofloop run\` to resume the same run.`,
		);
	}
}

/**
 * Runs a write and, when it fails, makes sure the error names `file`: a write
 * that fails after the open (ENOSPC mostly does) carries no path, and "cannot
 * write" without the file is no help.
 */
export function naming<T>(file: string, write: () => T): T {
	try {
		return write();
	} catch (error) {
		if (error instanceof Error && (error as NodeJS.ErrnoException).path === undefined) (error as NodeJS.ErrnoException).path = file;
		throw error;
	}
}

/**
 * The event log is the run's memory: an engine that cannot record must not
 * act, and a run that cannot write its prompts and logs cannot work. Stop the
 * way a crash stops (which resume is built for), but say what, why and how to
 * fix it instead of a stack trace, and take the agents along.
 */
export function stopUnwritable(runId: string, end: ((error: RunUnwritableError) => never) | undefined): (what: string, dir: string, why: string) => never {
	return (what, dir, why) => {
		reapRunProcesses(runId);
		const error = new RunUnwritableError(what, dir, why);
		if (end) end(error);
		throw error;
	};
}
