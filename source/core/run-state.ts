import type {EngineEvent, Stage, TicketSummary} from './events.js';
import {describeKept, keptFooter} from './user-checkout.js';
import {compareIds, readySet, waitingOn, type SchedulableTicket} from './scheduler.js';
import {attemptsOf, emptyLedger, ledgerStep, limitedUntil, mayStart, type Ledger} from './ledger.js';
import {PersistentMap} from '../lib/persistent-map.js';
import {attemptTimesStep, emptyAttemptTimes, type AttemptTimes} from './eta.js';

// What a client (the TUI, `proofloop status`) knows of a run: a pure fold of
// the event log. Attaching = replay the log through reduce(), then keep
// reducing the live events; nothing else is needed to draw the screen.

/** `attempts`: charged so far, `budget`: the ticket's own when a retry or heal set one (both from ledger.ts). */
export type TicketView = TicketSummary & {attempts: number; budget?: number; lastFailure?: string};

export type WorkerView = {
	ticket: string;
	attempt: number;
	maxAttempts: number;
	stage: Stage;
	agent: string;
	/** Set when the worker has been silent for stallMinutes. */
	stalled?: boolean;
	/** Set while the worker waits for a slot of its agent type (config agentCaps). */
	waitingForSlot?: string;
	/** The queue worker's host running the agent (executor "queue"); absent: this machine. */
	host?: string;
	/** ms since the epoch. */
	startedAt: number;
};

export type OracleView = {exit: number; verdict: string; summary: string; at: string; holding: Array<{id: string; status: string; reason: string}>};

export type RunState = {
	runId: string;
	batch: string;
	base: string;
	startedAt?: number;
	paused: boolean;
	stopping: boolean;
	stopped?: {reason: string; oracleExit?: number};
	/** Persistent (lib/persistent-map.ts): an event shares all but the changed ticket, so replaying a long log stays linear. */
	tickets: PersistentMap<TicketView>;
	workers: Map<string, WorkerView>;
	oracle?: OracleView;
	/** What a person did to the work (gate, ungate, retry, reset; ledger.ts), and how often they steered the run (pause, resume, stop, restart). */
	interventions: number;
	controls: number;
	/** Self-heals tried in this run (applied or not). */
	heals: number;
	/** Tokens and cost the agents reported so far. */
	usage: {inputTokens: number; outputTokens: number; costUsd: number};
	concurrency: number;
	lastSeq: number;
	warnings: string[];
	/** How the agents run, from the latest engine start: `none` is said in the header. */
	sandbox?: 'bwrap' | 'none';
	/** Human verbs refused on a worker channel (or without the key), and the latest, for the footer. */
	tampers: number;
	lastTamper?: string;
	/** What needs a person now (base moved by someone else, a broken tracker, a halt), until it is fixed. */
	alert?: string;
	/** A person's checkouts of base the run left as they have them (the latest notice per checkout). */
	checkoutsKept: Array<{path: string; notice: string; footer: string}>;
	/** The one count of attempts (ledger.ts), the same the engine and the report read. */
	ledger: Ledger;
	/** Attempt times (the header's ETA, eta.ts); cost per agent is the ledger's (agent-cost.ts). */
	times: AttemptTimes;
};

export function emptyRunState(concurrency = 0): RunState {
	return {
		runId: '',
		batch: '',
		base: '',
		paused: false,
		stopping: false,
		tickets: PersistentMap.empty(),
		workers: new Map(),
		interventions: 0,
		controls: 0,
		heals: 0,
		usage: {inputTokens: 0, outputTokens: 0, costUsd: 0},
		concurrency,
		lastSeq: 0,
		warnings: [],
		tampers: 0,
		checkoutsKept: [],
		ledger: emptyLedger,
		times: emptyAttemptTimes,
	};
}

const MAX_WARNINGS = 20;

/** Fold one event into the state (returns a new top-level object; maps are copied when they change). */
export function reduce(state: RunState, event: EngineEvent): RunState {
	const ledger = ledgerStep(state.ledger, event);
	// Cost and interventions are the ledger's numbers, the same the engine and the report read.
	const next = {
		...reduceView({...state, ledger, times: attemptTimesStep(state.times, event)}, event),
		usage: ledger.usage,
		interventions: ledger.interventions,
		controls: ledger.controls,
	};
	if (ledger === state.ledger || !('ticket' in event) || event.ticket === undefined) return next;
	const view = next.tickets.get(event.ticket);
	if (!view) return next;
	const counted = attemptsOf(ledger, event.ticket);
	const budget = counted.budget ?? ledger.defaultBudget;
	return {...next, tickets: next.tickets.with(event.ticket, {...view, attempts: counted.used, ...(budget === undefined ? {} : {budget})})};
}

function reduceView(state: RunState, event: EngineEvent): RunState {
	const next: RunState = {...state, lastSeq: event.seq};
	const ticket = (id: string, update: (t: TicketView) => TicketView): void => {
		const current = next.tickets.get(id);
		if (!current) return;
		next.tickets = next.tickets.with(id, update(current));
	};
	switch (event.type) {
		case 'run.started':
			return {
				...next,
				runId: event.runId,
				batch: event.batch,
				base: event.base,
				startedAt: Date.parse(event.at),
				stopped: undefined,
				...(event.sandbox ? {sandbox: event.sandbox} : {}),
			};
		case 'run.resumed':
			return {...next, stopped: undefined, stopping: false, workers: new Map(), ...(event.sandbox ? {sandbox: event.sandbox} : {})};
		case 'tamper.refused':
			return {...next, tampers: state.tampers + 1, lastTamper: tamperLine(event)};
		case 'run.tickets': {
			let tickets = next.tickets;
			for (const summary of event.tickets) {
				const budget = attemptsOf(state.ledger, summary.id).budget ?? state.ledger.defaultBudget;
				tickets = tickets.with(summary.id, {
					attempts: attemptsOf(state.ledger, summary.id).used,
					...(budget === undefined ? {} : {budget}),
					...tickets.get(summary.id),
					...summary,
				});
			}
			return {...next, tickets};
		}
		case 'attempt.started':
			next.workers = new Map(next.workers).set(event.ticket, {
				ticket: event.ticket,
				attempt: event.attempt,
				maxAttempts: event.maxAttempts,
				stage: 'prepare',
				// The pane names the engine profile that runs the attempt, with its agent type.
				agent: event.engine === undefined ? event.agent : `${event.engine} (${event.agent})`,
				startedAt: Date.parse(event.at),
			});
			return next;
		case 'stage': {
			const worker = next.workers.get(event.ticket);
			if (worker) next.workers = new Map(next.workers).set(event.ticket, {...worker, stage: event.stage, stalled: false});
			return next;
		}
		case 'heal.result':
			return {...next, heals: state.heals + 1};
		case 'agent.waiting': {
			const worker = event.role === 'worker' ? next.workers.get(event.ticket) : undefined;
			if (worker) next.workers = new Map(next.workers).set(event.ticket, {...worker, waitingForSlot: `${event.agent} (cap ${event.cap})`});
			return next;
		}
		case 'agent.spawned': {
			const worker = next.workers.get(event.ticket);
			if (worker?.waitingForSlot) next.workers = new Map(next.workers).set(event.ticket, {...worker, waitingForSlot: undefined});
			return next;
		}
		case 'agent.remote': {
			const worker = next.workers.get(event.ticket);
			if (worker) next.workers = new Map(next.workers).set(event.ticket, {...worker, host: event.host});
			return next;
		}
		case 'agent.stalled': {
			const worker = next.workers.get(event.ticket);
			if (worker) next.workers = new Map(next.workers).set(event.ticket, {...worker, stalled: true});
			return next;
		}
		case 'attempt.failed':
			ticket(event.ticket, t => ({...t, lastFailure: `attempt ${event.attempt} (${event.stage}): ${event.reason.split('\n')[0]}`}));
			next.workers = without(next.workers, event.ticket);
			return next;
		case 'attempt.interrupted':
		case 'ticket.done':
			next.workers = without(next.workers, event.ticket);
			return next;
		case 'ticket.status':
			ticket(event.ticket, t => ({...t, status: event.status}));
			return next;
		case 'oracle.verdict':
			return {...next, oracle: {exit: event.exit, verdict: event.verdict, summary: event.summary, at: event.at, holding: event.holding}};
		case 'intervention':
			if (event.kind === 'pause') next.paused = true;
			if (event.kind === 'resume') next.paused = false;
			if (event.kind === 'stop') next.stopping = true;
			return next;
		case 'base.foreign':
		case 'run.halted':
			return {...next, alert: event.message};
		case 'tracker.broken':
			return {...next, alert: `${event.message}\n(the run stops in ${event.graceSeconds}s unless it is fixed)`};
		case 'tracker.fixed':
			return {...next, alert: undefined};
		case 'warning':
			return {...next, warnings: [...state.warnings, event.message].slice(-MAX_WARNINGS)};
		case 'checkout.kept':
			return {
				...next,
				checkoutsKept: [...state.checkoutsKept.filter(k => k.path !== event.path), {path: event.path, notice: describeKept(event), footer: keptFooter(event)}],
			};
		case 'run.stopped':
			return {
				...next,
				stopped: {reason: event.reason, ...(event.oracleExit === undefined ? {} : {oracleExit: event.oracleExit})},
				workers: new Map(),
				paused: false,
			};
		default:
			return next;
	}
}

/** One line for the footer and the headless output: who tried what, refused. */
export function tamperLine(event: Extract<EngineEvent, {type: 'tamper.refused'}>): string {
	const who = event.ticket ? `${event.ticket}${event.attempt === undefined ? '' : ` attempt ${event.attempt}`}` : 'a client';
	return `TAMPER refused: ${who} sent \`${event.verb}\` on the ${event.channel} channel (${event.detail})`;
}

function without<V>(map: Map<string, V>, key: string): Map<string, V> {
	if (!map.has(key)) return map;
	const copy = new Map(map);
	copy.delete(key);
	return copy;
}

export const ticketGroups = ['running', 'ready', 'waiting', 'blocked', 'done', 'gated', 'failed'] as const;
export type TicketGroup = (typeof ticketGroups)[number];

export type GroupedTicket = TicketView & {group: TicketGroup; waitingOn?: {deps: string[]; locks: string[]}};

/**
 * Where each ticket belongs on screen. `ready` uses the engine's own scheduler
 * (deps done, locks free), ignoring the concurrency cap: a ready ticket shown
 * here is one the engine would start as soon as a slot frees.
 */
export function groupTickets(state: RunState, maxAttempts = Number.POSITIVE_INFINITY, now = Date.now()): GroupedTicket[] {
	const tickets = [...state.tickets.values()];
	const statusOf = (id: string) => state.tickets.get(id)?.status;
	const heldLocks = new Set([...state.workers.keys()].flatMap(id => state.tickets.get(id)?.locks ?? []));
	const schedulable = tickets.filter(t => !state.workers.has(t.id)) as SchedulableTicket[];
	const ready = new Set(
		readySet({
			tickets: schedulable,
			statusOf,
			running: new Set(state.workers.keys()),
			heldLocks,
			slots: Number.POSITIVE_INFINITY,
			// The engine's own test (ledger.ts): a startable status, attempts left, no usage limit holding it back.
			dispatchable: t =>
				mayStart(state.ledger, t.id, t.status, state.ledger.defaultBudget ?? maxAttempts) && limitedUntil(state.ledger, t.id, now) === undefined,
		}).map(t => t.id),
	);
	const groupOf = (t: TicketView): TicketGroup => {
		if (state.workers.has(t.id)) return 'running';
		if (t.status === 'done') return 'done';
		if (t.status === 'human_gated') return 'gated';
		if (t.status === 'failed') return 'failed';
		if (t.status === 'blocked') return 'blocked';
		if (ready.has(t.id)) return 'ready';
		return 'waiting';
	};
	return tickets
		.map(t => {
			const group = groupOf(t);
			return group === 'waiting' ? {...t, group, waitingOn: waitingOn(t, statusOf, heldLocks)} : {...t, group};
		})
		.sort((a, b) => ticketGroups.indexOf(a.group) - ticketGroups.indexOf(b.group) || compareIds(a.id, b.id));
}
