import {openRepo} from '../git/index.js';
import type {Ticket, TicketUpdate} from '../tracker/ticket.js';
import {FileTracker} from '../tracker/files.js';
import {loadProjectConfig} from './config.js';
import {EventLog, readEventLog} from './event-log.js';
import {InputError} from './input-error.js';
import {acquireRunLock, RunLockedError} from './run-lock.js';
import {listRuns, readManifest} from './run-dir.js';

/**
 * `proofloop retry <id>`: a failed or blocked ticket goes back to todo with a
 * fresh budget. `proofloop reset <id>`: the same for any ticket not done,
 * merged or gated, and its branch and checkout are dropped too. Each is an
 * intervention (who, when, why); the ledger reads it to raise the budget.
 */
export type HumanTicketVerb = 'retry' | 'reset';

const retryable = new Set(['failed', 'blocked']);
const resettable = new Set(['failed', 'blocked', 'todo', 'in_progress']);

/** Why this verb cannot take this ticket, or undefined when it can. */
export function refusal(verb: HumanTicketVerb, ticket: Pick<Ticket, 'id' | 'status'> | undefined, id: string, running: boolean): string | undefined {
	if (!ticket) return `no ticket ${id} in this run's batch`;
	if (running) return `${id} has an attempt running; fix: \`proofloop gate\` it, or wait for the attempt to end`;
	const allowed = verb === 'retry' ? retryable : resettable;
	if (allowed.has(ticket.status)) return undefined;
	return verb === 'retry'
		? `${id} is ${ticket.status}: retry takes a failed or blocked ticket back to todo${ticket.status === 'todo' || ticket.status === 'in_progress' ? ' (use `proofloop reset` to drop its branch and give it a fresh budget)' : ''}`
		: `${id} is ${ticket.status}: reset takes a ticket that is not done, merged or human-gated`;
}

/** The tracker fields a retry or reset writes: back to todo, the last failure and block cleared. */
export const backToTodo: TicketUpdate = {status: 'todo', failure: undefined, block: undefined};

export function verbMessage(verb: HumanTicketVerb, id: string): string {
	return verb === 'retry' ? `${id} is todo again with a fresh budget` : `${id} is reset: todo, a fresh budget, its branch and checkout dropped`;
}

/**
 * With no engine running: the same write the engine would make, straight to
 * the newest run's event log and the tracker, under the run lock (an engine
 * starting meanwhile waits, or this refuses).
 */
export async function retryOffline(opts: {cwd: string; verb: HumanTicketVerb; id: string; reason: string; by: string}): Promise<string> {
	const repo = await openRepo(opts.cwd);
	const run = listRuns(repo.root)[0];
	if (!run) throw new InputError(`no run in ${repo.root} yet: there is nothing to ${opts.verb}\n  fix: start one with \`proofloop run\``);
	let release: () => void;
	try {
		release = acquireRunLock(repo.root, run.id);
	} catch (error) {
		if (error instanceof RunLockedError) throw new InputError(`an engine just started in ${repo.root}\n  fix: run \`proofloop ${opts.verb} ${opts.id}\` again (it goes through the engine now)`);
		throw error;
	}
	try {
		const config = loadProjectConfig(repo.root);
		const manifest = readManifest(run);
		const tracker = new FileTracker({repoRoot: repo.root, dir: config.tracker.dir});
		const ticket = (await tracker.load()).find(t => t.id === opts.id && (t.batch === manifest.batch || manifest.ticket_ids.includes(t.id)));
		const problem = refusal(opts.verb, ticket, opts.id, false);
		if (problem) throw new InputError(problem);
		const {events} = readEventLog(run.eventsFile);
		const log = new EventLog(run.eventsFile, events);
		try {
			log.append({type: 'intervention', kind: opts.verb, by: opts.by, ticket: opts.id, reason: opts.reason});
			// Logged before the write, as the engine does: a resumed engine redoes it, never undoes it.
			log.append({type: 'ticket.status', ticket: opts.id, status: 'todo', fields: backToTodo, reason: `${opts.verb} by ${opts.by}: ${opts.reason}`});
			await tracker.update(opts.id, backToTodo);
			if (opts.verb === 'reset') await repo.removeWorktree(opts.id);
		} finally {
			log.close();
		}
		return `${verbMessage(opts.verb, opts.id)} (no engine is running: \`proofloop run\` picks it up)`;
	} finally {
		release();
	}
}
