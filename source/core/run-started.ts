import type {NewEvent} from './events.js';
import type {Manifest} from './run-dir.js';

/** What `run.started` records, from the run's manifest: also written by a resume whose log never got it (a kill right after the run directory was made). */
export function runStartedEvent(manifest: Manifest, how: {pid: number; sandbox: 'bwrap' | 'none'; containment: string; attempts: number}): NewEvent {
	return {
		type: 'run.started',
		runId: manifest.run_id,
		batch: manifest.batch,
		base: manifest.base_branch,
		baseCommit: manifest.base_commit,
		ticketIds: manifest.ticket_ids,
		oracleSha256: manifest.oracle_sha256,
		...how,
	};
}
