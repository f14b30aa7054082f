import {randomBytes} from 'node:crypto';
import {mkdirSync, readFileSync} from 'node:fs';
import {writeFileAtomicSync as writeFileAtomic} from '../tracker/atomic-write.js';
import {z} from 'zod';
import {readEventLog} from './event-log.js';
import type {EngineEvent} from './events.js';
import {listRuns, runDir, type RunDir} from './run-list.js';

export {listRuns, runDir, type RunDir};

// Pinned at the start of a run; snake_case because the oracle (which imports
// nothing of ours) reads it too.
export const Manifest = z.object({
	run_id: z.string(),
	batch: z.string(),
	base_branch: z.string(),
	base_commit: z.string(),
	ticket_ids: z.array(z.string()),
	oracle_sha256: z.string(),
	config_sha256: z.string(),
	created_at: z.string(),
	proofloop_version: z.string(),
	/** How the agents of this run were boxed when it started: `none` is an unsandboxed run, said in the report too. */
	sandbox: z.enum(['bwrap', 'none']).optional(),
});
export type Manifest = z.infer<typeof Manifest>;

export function newRunId(now = new Date()): string {
	const stamp = now.toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
	return `${stamp}-${randomBytes(2).toString('hex')}`;
}

export {writeFileAtomic};

export function createRun(repoRoot: string, manifest: Manifest): RunDir {
	const run = runDir(repoRoot, manifest.run_id);
	mkdirSync(run.dir, {recursive: true, mode: 0o700});
	writeFileAtomic(run.manifestFile, JSON.stringify(manifest, null, 2) + '\n');
	return run;
}

/** Rewrite the manifest: only a filing does, and only ever to grow the membership. */
export function writeManifest(run: RunDir, manifest: Manifest): void {
	writeFileAtomic(run.manifestFile, JSON.stringify(manifest, null, 2) + '\n');
}

export function readManifest(run: RunDir): Manifest {
	return Manifest.parse(JSON.parse(readFileSync(run.manifestFile, 'utf8')));
}

/** The run a plain `proofloop run` should continue: the newest one that did not stop for good. */
export function findResumableRun(repoRoot: string): {run: RunDir; events: EngineEvent[]; repairedTail: boolean} | undefined {
	const newest = listRuns(repoRoot)[0];
	if (!newest) return undefined;
	const {events, repairedTail} = readEventLog(newest.eventsFile);
	const stopped = events.findLast(e => e.type === 'run.stopped');
	const lastResume = events.findLast(e => e.type === 'run.resumed' || e.type === 'run.started');
	// Finished, stuck or halted runs are over (a halt's fix may change what the run is); one killed, stopped by a signal or by an
	// error the user can fix (disk full, a ticket edited badly) goes on.
	// A retry or reset after the stop reopens a run that is over: its ticket continues there, its attempts counted on.
	const reopened = events.some(e => e.type === 'intervention' && (e.kind === 'retry' || e.kind === 'reset') && stopped !== undefined && e.seq > stopped.seq);
	if (stopped?.type === 'run.stopped' && (stopped.reason === 'finished' || stopped.reason === 'stuck' || stopped.reason === 'halted') && !reopened) {
		if (!lastResume || lastResume.seq < stopped.seq) return undefined;
	}
	return {run: newest, events, repairedTail};
}
