import {readdirSync, readFileSync} from 'node:fs';
import {QUEUE_WORKER_MARKER} from '../process/orphans.js';

/** What a worker's agents carry (its clone), so the run's engine leaves them alone and the worker's next start finds them. */
export const workerMarker = (cloneRoot: string): Record<string, string> => ({[QUEUE_WORKER_MARKER]: cloneRoot});

/**
 * Kills what a worker killed before in this clone left running: an agent
 * outside bubblewrap (--unsandboxed) outlives its worker's SIGKILL, and its
 * attempt is another worker's by now. Returns the pids killed.
 */
export function reapWorkerOrphans(cloneRoot: string): number[] {
	const entry = Buffer.from(`${QUEUE_WORKER_MARKER}=${cloneRoot}\0`, 'latin1');
	const killed: number[] = [];
	for (const name of readdirSync('/proc')) {
		if (!/^\d+$/.test(name) || Number(name) === process.pid) continue;
		try {
			const environ = readFileSync(`/proc/${name}/environ`);
			const at = Buffer.concat([environ, Buffer.from([0])]).indexOf(entry);
			if (at === -1 || (at > 0 && environ[at - 1] !== 0)) continue;
			process.kill(Number(name), 'SIGKILL');
			killed.push(Number(name));
		} catch {
			// Gone, or not ours to read.
		}
	}
	return killed;
}
