import {readdirSync, readFileSync} from 'node:fs';
import {killContained} from './containment.js';

/**
 * Processes that carry this run's id in their environment. Every agent, check
 * and verify process the engine starts gets PROOFLOOP_RUN_ID, and children
 * inherit it, so after an engine crash this finds exactly what the run left
 * behind (and never a stranger that merely reused a pid).
 */
export function findRunProcesses(runId: string, ticket?: string): number[] {
	const marker = `PROOFLOOP_RUN_ID=${runId}`;
	const ticketMarker = ticket === undefined ? undefined : `PROOFLOOP_TICKET=${ticket}`;
	const pids: number[] = [];
	let entries: string[];
	try {
		entries = readdirSync('/proc');
	} catch {
		return pids;
	}
	for (const entry of entries) {
		if (!/^\d+$/.test(entry)) continue;
		const pid = Number(entry);
		if (pid === process.pid) continue;
		try {
			const environ = readFileSync(`/proc/${pid}/environ`, 'latin1');
			const vars = environ.split('\0');
			if (vars.includes(marker) && (!ticketMarker || vars.includes(ticketMarker))) pids.push(pid);
		} catch {
			// Gone, or not ours to read.
		}
	}
	return pids;
}

/**
 * Kill every process of the run, or of one ticket (SIGKILL: nothing of it may
 * go on): those in its cgroups (containment.ts: found whatever they did to
 * their session and environment), then those carrying its marker.
 */
export function reapRunProcesses(runId: string, ticket?: string): number[] {
	const contained = killContained(runId, ticket);
	const pids = findRunProcesses(runId, ticket);
	for (const pid of pids) {
		try {
			process.kill(pid, 'SIGKILL');
		} catch {
			// Already gone.
		}
	}
	return [...new Set([...contained, ...pids])];
}
