import type {Command} from 'commander';
import {openRepo} from '../git/index.js';
import {ControlClient, findEngine} from '../core/control-client.js';
import type {StatusSummary} from '../core/control.js';
import {readEventLog} from '../core/event-log.js';
import {listRuns} from '../core/run-dir.js';
import {isStale, readLock} from '../core/run-lock.js';
import {emptyRunState, groupTickets, reduce} from '../core/run-state.js';
import {InputError} from '../core/start-run.js';
import {actor} from '../core/control-client.js';
import {humanVerbOffline, type OfflineVerb} from '../core/offline-verbs.js';
import {formatRunEnd, runEnd, type RunEnd} from '../core/run-end.js';
import {connectToEngine} from './engine-client.js';
import {reportError} from './errors.js';

/** Send one control request; an error reply becomes an error, an ok reply its message. */
async function send(client: ControlClient, request: Parameters<ControlClient['request']>[0]): Promise<string> {
	const reply = await client.request(request);
	if (reply.type === 'error') throw new Error(reply.message);
	return reply.type === 'ok' && reply.message ? reply.message : 'ok';
}

async function withEngine(action: (client: ControlClient) => Promise<string | void>): Promise<void> {
	try {
		const {client} = await connectToEngine(process.cwd());
		try {
			const message = await action(client);
			if (message) process.stdout.write(message + '\n');
		} finally {
			client.close();
		}
	} catch (error) {
		process.exitCode = error instanceof InputError ? reportError(error) : reportError(new InputError((error as Error).message));
	}
}

/** Through the live engine when there is one; otherwise straight to the tracker, under the run lock. */
async function humanTicketVerb(verb: OfflineVerb, ticket: string, reason: string): Promise<void> {
	try {
		const repo = await openRepo(process.cwd());
		// Inside a run (an agent, a check) it goes the engine's way too, which refuses it: never the offline write.
		const inside = process.env['PROOFLOOP_CONTROL'] ?? process.env['PROOFLOOP_RUN_ID'];
		if (inside || findEngine(repo.root).ok)
			return await withEngine(client => send(client, verb === 'ungate' ? {type: verb, ticket} : {type: verb, ticket, reason}));
		process.stdout.write((await humanVerbOffline({cwd: process.cwd(), verb, id: ticket, reason, by: actor()})) + '\n');
	} catch (error) {
		process.exitCode = reportError(error);
	}
}

/** No engine process holds the run lock (a live one may be starting or ending, not listening yet or any more). */
function engineGone(repoRoot: string): boolean {
	const lock = readLock(repoRoot);
	return !lock || isStale(lock);
}

/** The newest run's state from its log, when no engine is there to ask. */
function offlineStatus(repoRoot: string, engineGone = true): Status | undefined {
	const run = listRuns(repoRoot)[0];
	if (!run) return undefined;
	const {events} = readEventLog(run.eventsFile);
	const state = events.reduce(reduce, emptyRunState());
	const counts: Record<string, number> = {};
	// With no engine, an attempt the log shows running was cut off: the next run redoes it.
	for (const t of groupTickets(state)) {
		const group = engineGone && t.group === 'running' ? 'interrupted' : t.group;
		counts[group] = (counts[group] ?? 0) + 1;
	}
	// While an engine holds the lock, the log's end is not the run's end.
	const ended = engineGone ? runEnd(events, run.dir) : undefined;
	return {
		engine: 'not running',
		...(ended ? {ended} : {}),
		runId: state.runId,
		batch: state.batch,
		pid: 0,
		paused: false,
		stopping: false,
		running: [],
		counts,
		...(state.oracle ? {oracle: {exit: state.oracle.exit, verdict: state.oracle.verdict, summary: state.oracle.summary}} : {}),
		interventions: state.interventions,
		...(state.sandbox ? {sandbox: state.sandbox} : {}),
		tampers: state.tampers,
		...(state.checkoutsKept.length > 0 ? {checkoutsKept: state.checkoutsKept} : {}),
	};
}

/**
 * The engine's own answer; when the connection fails (the engine is ending or
 * starting: its socket closes before its lock goes), its log answers instead.
 * A refusal worded for a person (InputError) is said as it is.
 */
async function liveStatus(repoRoot: string): Promise<Status | undefined> {
	try {
		const {client} = await connectToEngine(repoRoot);
		try {
			return {engine: 'running', ...(await client.status())};
		} finally {
			client.close();
		}
	} catch (error) {
		if (error instanceof InputError && findEngine(repoRoot).ok) throw error;
		const offline = offlineStatus(repoRoot, engineGone(repoRoot));
		return offline && {...offline, engine: findEngine(repoRoot).ok ? 'not answering (ending or starting)' : 'not running'};
	}
}

type Status = StatusSummary & {engine: string; ended?: RunEnd};

function formatStatus(status: Status): string {
	const counts = Object.entries(status.counts)
		.map(([group, n]) => `${n} ${group}`)
		.join(', ');
	const unsandboxed = status.sandbox === 'none';
	const flags = [status.paused && ', PAUSED', status.stopping && ', STOPPING', unsandboxed && ', UNSANDBOXED'].filter(Boolean).join('');
	const oracle = status.oracle
		? `exit ${status.oracle.exit} (${status.oracle.verdict})${unsandboxed ? ' — UNSANDBOXED run' : ''}: ${status.oracle.summary}`
		: 'not asked yet';
	const sandbox = unsandboxed
		? 'UNSANDBOXED: agents run with the full access of this user'
		: status.sandbox === 'bwrap'
			? 'bwrap (every agent boxed)'
			: 'unknown';
	return [
		`run ${status.runId} (batch '${status.batch}'): engine ${status.engine}${status.pid ? ` (pid ${status.pid})` : ''}${flags}`,
		`tickets: ${counts || 'none'}`,
		...status.running.map(r => `  running ${r.ticket}  attempt ${r.attempt}${r.maxAttempts ? `/${r.maxAttempts}` : ''}, ${r.stage}`),
		`oracle: ${oracle}`,
		`sandbox: ${sandbox}`,
		`interventions: ${status.interventions}`,
		...(status.tampers ? [`tamper attempts refused: ${status.tampers} (proofloop report lists them)`] : []),
		...(status.checkoutsKept ?? []).map(k => `WARNING: ${k.notice}`),
		...(status.ended ? formatRunEnd(status.ended) : []),
	].join('\n');
}

export function registerControlVerbs(program: Command): void {
	program
		.command('status')
		.description("the run's state: engine, ticket counts, running attempts, the oracle's last verdict")
		.option('--json', 'print it as JSON')
		.action(async (opts: {json?: boolean}) => {
			try {
				const repo = await openRepo(process.cwd());
				let status: Status | undefined;
				if (findEngine(repo.root).ok) status = await liveStatus(repo.root);
				status ??= offlineStatus(repo.root, engineGone(repo.root));
				if (!status) throw new InputError(`no run in ${repo.root} yet\n  fix: start one with \`proofloop run\``);
				process.stdout.write((opts.json ? JSON.stringify(status, null, 2) : formatStatus(status)) + '\n');
			} catch (error) {
				process.exitCode = reportError(error);
			}
		});
	program
		.command('pause')
		.description('stop dispatching new attempts; running attempts finish')
		.action(() => withEngine(client => send(client, {type: 'pause'})));
	program
		.command('resume')
		.description('start dispatching again')
		.action(() => withEngine(client => send(client, {type: 'resume'})));
	program
		.command('gate <ticket>')
		.description(
			'mark a ticket human-gated: a human takes it; the oracle counts it as passing (an intervention, recorded with who, when and why; ' +
				"with no engine running, straight to the tracker and the run's log)",
		)
		.requiredOption('--reason <text>', 'why a human takes it')
		.action((ticket: string, opts: {reason: string}) => humanTicketVerb('gate', ticket, opts.reason));
	program
		.command('ungate <ticket>')
		.description('take a human gate back: the ticket runs again (an intervention)')
		.action((ticket: string) => humanTicketVerb('ungate', ticket, ''));
	for (const [verb, description] of [
		['retry', 'a failed or blocked ticket back to todo with a fresh budget (an intervention, recorded with who, when and why)'],
		['reset', 'like retry, for any ticket not done, merged or gated, and its branch and checkout are dropped (an intervention)'],
	] as const) {
		program
			.command(`${verb} <ticket>`)
			.description(description)
			.requiredOption('--reason <text>', 'why')
			.action((ticket: string, opts: {reason: string}) => humanTicketVerb(verb, ticket, opts.reason));
	}
	program
		.command('stop')
		.description('stop the run: running attempts are interrupted (not counted) and redone when you `proofloop run` again')
		.action(() => withEngine(client => send(client, {type: 'stop'})));
}
