import {readdirSync, readFileSync} from 'node:fs';
import {killContained} from './containment.js';

/**
 * Processes that carry this run's id in their environment. Every agent, check
 * and verify process the engine starts gets PROOFLOOP_RUN_ID, and children
 * inherit it, so after an engine crash this finds exactly what the run left
 * behind (and never a stranger that merely reused a pid).
 */
export function findRunProcesses(runId: string, ticket?: string): number[] {
	const marker = Buffer.from(`PROOFLOOP_RUN_ID=${runId}\0`, 'latin1');
	const onWorker = Buffer.from(`${QUEUE_WORKER_MARKER}=`, 'latin1');
	const ticketMarker = ticket === undefined ? undefined : Buffer.from(`PROOFLOOP_TICKET=${ticket}\0`, 'latin1');
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
			// Searched as bytes: this runs after every agent and every checks stage, over every process on the machine.
			const environ = readFileSync(`/proc/${pid}/environ`);
			// A queue worker's agent on this machine runs the same run's attempt, but is the worker's to end, not this engine's.
			if (hasEntry(environ, marker) && (!ticketMarker || hasEntry(environ, ticketMarker)) && !hasName(environ, onWorker)) pids.push(pid);
		} catch {
			// Gone, or not ours to read.
		}
	}
	return pids;
}

/** The variable a `proofloop worker` sets on its agents (the worker's clone): the run's engine leaves them alone. */
export const QUEUE_WORKER_MARKER = 'PROOFLOOP_QUEUE_WORKER';

/** Whether a variable starts with `name` ("NAME="), whatever its value. */
function hasName(environ: Buffer, name: Buffer): boolean {
	for (let at = environ.indexOf(name); at !== -1; at = environ.indexOf(name, at + 1)) {
		if (at === 0 || environ[at - 1] === 0) return true;
	}
	return false;
}

/** Whether `entry` (NUL-terminated) is a whole variable of a NUL-separated environment block. */
function hasEntry(environ: Buffer, entry: Buffer): boolean {
	// The last variable may lack its NUL.
	const block = environ.length > 0 && environ[environ.length - 1] !== 0 ? Buffer.concat([environ, Buffer.from([0])]) : environ;
	for (let at = block.indexOf(entry); at !== -1; at = block.indexOf(entry, at + 1)) {
		if (at === 0 || block[at - 1] === 0) return true;
	}
	return false;
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
