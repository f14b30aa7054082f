import {dirname} from 'node:path';
import {GitError} from '../git/index.js';
import {TrackerError} from '../tracker/tracker.js';
import {BatchError} from '../core/batch.js';
import {ConfigError} from '../core/config.js';
import {RunLockedError} from '../core/run-lock.js';
import {InputError} from '../core/start-run.js';
import {DiskFullError, diskFullCause, failedPath} from '../core/disk-full.js';
import {SyncInputError} from '../tracker/sync/pull.js';

/** Exit code for bad input: the message says what and how to fix it; nothing was written. */
export const EXIT_BAD_INPUT = 2;
/** Exit code for a defect in proofloop itself. */
export const EXIT_INTERNAL = 70;

const known = [InputError, ConfigError, TrackerError, GitError, BatchError, RunLockedError, DiskFullError, SyncInputError];

/** Print an error the way a user can act on it and return the exit code. */
export function reportError(error: unknown): number {
	if (known.some(kind => error instanceof kind)) {
		process.stderr.write(`proofloop: ${(error as Error).message}\n`);
		return EXIT_BAD_INPUT;
	}
	// No room to write is the machine's state, not our defect: no stack trace, the file and the fix.
	const full = diskFullCause(error);
	if (full !== undefined && (error as NodeJS.ErrnoException)?.code !== undefined) {
		const file = failedPath(error);
		process.stderr.write(
			`proofloop: cannot write${file ? ` ${file}` : ''}: ${full}\n  fix: free space${file ? ` (df -h ${dirname(file)})` : ''}, then run the same command again\n`,
		);
		return EXIT_BAD_INPUT;
	}
	process.stderr.write(`proofloop: internal error (please report it): ${(error as Error)?.stack ?? String(error)}\n`);
	return EXIT_INTERNAL;
}
