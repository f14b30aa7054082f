import {readFileSync} from 'node:fs';
import {openRepo} from '../git/index.js';
import type {GateLedgerRecord} from '../git/gate-ledger.js';
import type {TicketUpdate} from '../tracker/ticket.js';
import {FileTracker} from '../tracker/files.js';
import {loadProjectConfig} from './config.js';
import {EventLog, readEventLog} from './event-log.js';
import type {NewEvent} from './events.js';
import {InputError} from './input-error.js';
import {loggedFields} from './owned-keys.js';
import {backToTodo, refusal, verbMessage, type HumanTicketVerb} from './retry-reset.js';
import {acquireRunLock, RunLockedError} from './run-lock.js';
import {listRuns, readManifest} from './run-dir.js';

/**
 * `gate`, `ungate`, `retry` and `reset` with no engine running: the write the
 * engine would make. A gate or ungate goes to the merge queue's ledger first
 * (the oracle's evidence), then each is logged in the newest run's event log
 * (so the next report lists it and a resumed engine redoes it, never undoes it),
 * then the tracker, all under the run lock (an engine starting meanwhile waits, or this refuses).
 */
export type OfflineVerb = HumanTicketVerb | 'gate' | 'ungate';

function read(file: string): string | undefined {
	try {
		return readFileSync(file, 'utf8');
	} catch {
		return undefined;
	}
}

/**
 * Why this process may not act as a person: it, or an ancestor, carries any
 * run's marker or sits in a proofloop containment cgroup (an orphan of a dead
 * engine's attempt, which `env -i` and `setsid` do not take out of its cgroup).
 */
export function runProcessAncestry(pid = process.pid): string | undefined {
	const seen = new Set<number>();
	for (let p: number | undefined = pid; p !== undefined && p > 1 && !seen.has(p) && seen.size < 128;) {
		seen.add(p);
		const cgroup = read(`/proc/${p}/cgroup`)
			?.split('\n')
			.find(line => line.includes('/proofloop/'));
		if (cgroup) return `pid ${p} is in a proofloop run's cgroup (${cgroup.split(':').pop()})`;
		const marker = (read(`/proc/${p}/environ`) ?? '').split('\0').find(e => e.startsWith('PROOFLOOP_RUN_ID='));
		if (marker) return `pid ${p} carries a run's marker (${marker})`;
		const stat = read(`/proc/${p}/stat`);
		const ppid = stat ? Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) : Number.NaN;
		p = Number.isInteger(ppid) ? ppid : undefined;
	}
	return undefined;
}

type Plan = {refused?: string; done?: string; events: NewEvent[]; update?: TicketUpdate; dropWorktree?: boolean; ledger?: GateLedgerRecord};
type Ticket = Awaited<ReturnType<FileTracker['load']>>[number];

/** What the verb writes, as the live engine's gate/ungate/retry/reset do. */
function plan(verb: OfflineVerb, ticket: Ticket | undefined, id: string, reason: string, by: string, run: string, gated: boolean): Plan {
	const at = new Date().toISOString();
	if (verb === 'retry' || verb === 'reset') {
		const refused = refusal(verb, ticket, id, false);
		if (refused) return {refused, events: []};
		const status = {type: 'ticket.status', ticket: id, status: 'todo', fields: loggedFields(backToTodo), reason: `${verb} by ${by}: ${reason}`};
		return {
			events: [{type: 'intervention', kind: verb, by, ticket: id, reason}, status] as NewEvent[],
			update: backToTodo,
			dropWorktree: verb === 'reset',
			done: verbMessage(verb, id),
		};
	}
	if (!ticket) return {refused: `no ticket ${id} in this run's batch\n  fix: check the id (\`proofloop status\` lists the batch's tickets)`, events: []};
	if (verb === 'gate') {
		if (ticket.status === 'done') return {refused: `${id} is already done\n  fix: nothing to gate: the oracle counts it done`, events: []};
		if (ticket.status === 'human_gated' && gated) return {done: `${id} is already human-gated`, events: []};
		const update: TicketUpdate = {status: 'human_gated', gate: {by, at, reason}};
		const status = {type: 'ticket.status', ticket: id, status: 'human_gated', fields: loggedFields(update), reason: `gated by ${by}: ${reason}`};
		const ledger: GateLedgerRecord = {kind: 'gate', ticket: id, by, reason, at, run};
		return {events: [{type: 'intervention', kind: 'gate', by, ticket: id, reason}, status] as NewEvent[], update, ledger, done: `${id} gated`};
	}
	if (ticket.status !== 'human_gated')
		return {
			refused: `${id} is not human-gated (it is ${ticket.status})\n  fix: ungate takes back a gate; \`proofloop status\` shows each ticket's state`,
			events: [],
		};
	const update: TicketUpdate = {status: 'todo', gate: undefined};
	const status = {type: 'ticket.status', ticket: id, status: 'todo', fields: loggedFields(update), reason: `ungated by ${by}`};
	const ledger: GateLedgerRecord = {kind: 'ungate', ticket: id, by, at, run, ...(reason ? {reason} : {})};
	return {
		events: [{type: 'intervention', kind: 'ungate', by, ticket: id, ...(reason ? {reason} : {})}, status] as NewEvent[],
		update,
		ledger,
		done: `${id} is no longer gated; it runs again`,
	};
}

export async function humanVerbOffline(opts: {cwd: string; verb: OfflineVerb; id: string; reason: string; by: string}): Promise<string> {
	const repo = await openRepo(opts.cwd);
	const run = listRuns(repo.root)[0];
	if (!run) throw new InputError(`no run in ${repo.root} yet: there is nothing to ${opts.verb}\n  fix: start one with \`proofloop run\``);
	const inside = runProcessAncestry();
	if (inside) {
		throw new InputError(
			`refused: this process runs inside a proofloop run (${inside}); gate, ungate, retry and reset are for a person\n  fix: run it from your own shell`,
		);
	}
	let release: () => void;
	try {
		release = acquireRunLock(repo.root, run.id);
	} catch (error) {
		if (error instanceof RunLockedError)
			throw new InputError(`an engine just started in ${repo.root}\n  fix: run \`proofloop ${opts.verb} ${opts.id}\` again (it goes through the engine now)`);
		throw error;
	}
	try {
		const config = loadProjectConfig(repo.root);
		const manifest = readManifest(run);
		const tracker = new FileTracker({repoRoot: repo.root, dir: config.tracker.dir});
		const ticket = (await tracker.load()).find(t => t.id === opts.id && (t.batch === manifest.batch || manifest.ticket_ids.includes(t.id)));
		const gated = opts.verb === 'gate' && ticket?.status === 'human_gated' && (await repo.latestGate(opts.id))?.kind === 'gate';
		const todo = plan(opts.verb, ticket, opts.id, opts.reason, opts.by, run.id, gated);
		if (todo.refused) throw new InputError(todo.refused);
		if (todo.events.length === 0) return todo.done ?? 'ok';
		const log = new EventLog(run.eventsFile, readEventLog(run.eventsFile).events);
		try {
			// The ledger's record first (the oracle's evidence), as the engine does; then the log, then the file.
			if (todo.ledger) await repo.recordGate(todo.ledger);
			// Logged before the write, as the engine does: a resumed engine redoes it, never undoes it.
			for (const event of todo.events) log.append(event);
			if (todo.update) await tracker.update(opts.id, todo.update);
			if (todo.dropWorktree) await repo.removeWorktree(opts.id);
		} finally {
			log.close();
		}
		return `${todo.done} (no engine is running: recorded in run ${run.id}; \`proofloop run\` picks it up)`;
	} finally {
		release();
	}
}
