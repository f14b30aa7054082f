import {diskFullCause, DiskFullError} from './disk-full.js';
import {writeReport} from './report.js';
import type {RunDir} from './run-dir.js';

/** The run is over and recorded; a report the disk has no room for is said with the command that writes it again. */
export function writeFinalReport(run: RunDir, report: Parameters<typeof writeReport>[1], oracleExit: number): ReturnType<typeof writeReport> {
	try {
		return writeReport(run.dir, report);
	} catch (error) {
		const cause = diskFullCause(error);
		if (cause === undefined) throw error;
		throw new DiskFullError(
			`run ${run.id} is over (oracle exit ${oracleExit}, recorded in ${run.eventsFile}), but its report could not be written: ${cause}\n` +
				`  fix: free space (df -h ${run.dir}), then \`proofloop report ${run.id}\` writes it again`,
		);
	}
}
