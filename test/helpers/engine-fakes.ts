import {mkdtempSync} from 'node:fs';
import {tmpdir} from 'node:os';
import path from 'node:path';
import type {AgentAdapter} from '../../source/agents/adapter.js';
import type {GateLedgerRecord} from '../../source/git/gate-ledger.js';
import {AgentSlots} from '../../source/core/agent-slots.js';
import type {AttemptOutcome} from '../../source/core/attempt.js';
import {parseProjectConfig, type ProjectConfig} from '../../source/core/config.js';
import type {EngineContext, RunDeps} from '../../source/core/context.js';
import {Engine, type AttemptRunner} from '../../source/core/engine.js';
import {EventLog} from '../../source/core/event-log.js';
import type {EngineEvent} from '../../source/core/events.js';
import type {Judge} from '../../source/core/live-judge.js';
import type {OracleVerdict} from '../../source/core/oracle.js';
import type {Manifest, RunDir} from '../../source/core/run-dir.js';
import {TicketWriter} from '../../source/core/ticket-writer.js';
import type {Repo} from '../../source/git/index.js';
import type {NewTicket, Ticket, TicketUpdate} from '../../source/tracker/ticket.js';
import type {Tracker} from '../../source/tracker/tracker.js';

/**
 * An `Engine` with in-memory fakes of what it owns no process of: the tracker (a
 * map), the clock, the oracle and the attempt (the test settles each one itself).
 * The event log, the ticket writer, the scheduler and the ledger are the real ones.
 */

export type TicketSpec = {id: string; status?: Ticket['status']; deps?: string[]; locks?: string[]; priority?: number; batch?: string};

export function ticketOf(spec: TicketSpec): Ticket {
	const {id, status = 'todo', deps = [], locks = [], priority = 2, batch = 'b'} = spec;
	return {id, title: `ticket ${id}`, status, batch, deps, locks, priority, file: `.proofloop/tickets/${id}.md`, body: '', text: ''};
}

/** The tracker as a map: what load() returns is what update() and create() wrote. */
export class MemoryTracker implements Tracker {
	readonly location = 'memory';
	readonly tickets = new Map<string, Ticket>();
	/** Set to make load() throw (a ticket file mid-edit). */
	broken: string | undefined;

	constructor(tickets: readonly Ticket[]) {
		for (const ticket of tickets) this.tickets.set(ticket.id, ticket);
	}

	#onLoad: Array<() => void> = [];

	/** Resolves once the engine has read the tracker again and acted on the read (the loop's next turn). */
	async nextRead(): Promise<void> {
		await new Promise<void>(resolve => this.#onLoad.push(resolve));
		await new Promise(resolve => setImmediate(resolve));
	}

	async load(): Promise<Ticket[]> {
		for (const resolve of this.#onLoad.splice(0)) resolve();
		if (this.broken) throw new Error(this.broken);
		return [...this.tickets.values()].map(t => ({...t}));
	}

	async update(id: string, fields: TicketUpdate, complete?: (current: Record<string, unknown>) => TicketUpdate): Promise<Ticket> {
		const current = this.tickets.get(id);
		if (!current) throw new Error(`no ticket ${id}`);
		const all = {...fields, ...complete?.(current as unknown as Record<string, unknown>)};
		const next = {...current} as Record<string, unknown>;
		for (const [key, value] of Object.entries(all)) {
			if (value === undefined) delete next[key];
			else next[key] = value;
		}
		this.tickets.set(id, next as Ticket);
		return next as Ticket;
	}

	async prepareCreate(ticket: NewTicket): Promise<{file: string; text: string}> {
		return {file: `.proofloop/tickets/${ticket.id}.md`, text: JSON.stringify(ticket)};
	}

	async create(prepared: {file: string; text: string}): Promise<void> {
		const made = JSON.parse(prepared.text) as NewTicket;
		this.tickets.set(made.id, {...ticketOf({id: made.id, deps: made.deps, locks: made.locks, batch: made.batch}), title: made.title, file: prepared.file});
	}

	protectedPaths(): string[] {
		return [];
	}

	status(id: string): string | undefined {
		return this.tickets.get(id)?.status;
	}
}

/** An attempt the test settles by hand: `started` lists them in start order, `settle` ends one. */
export class ScriptedAttempts {
	readonly started: Array<{ticket: string; attempt: number; previous: string[]}> = [];
	readonly #pending = new Map<string, {ctx: EngineContext; attempt: number; resolve: (outcome: AttemptOutcome) => void}>();
	#waiters: Array<() => void> = [];

	readonly run: AttemptRunner = async (ctx, ticket, attempt, previous) =>
		new Promise<AttemptOutcome>(resolve => {
			this.started.push({ticket: ticket.id, attempt, previous});
			this.#pending.set(ticket.id, {ctx, attempt, resolve});
			for (const wake of this.#waiters.splice(0)) wake();
		});

	/** Tickets whose attempt is running now. */
	running(): string[] {
		return [...this.#pending.keys()].sort();
	}

	/** End the running attempt of `ticket` with `outcome`; done is recorded and written as attempt.ts does it. */
	async settle(ticket: string, outcome: AttemptOutcome): Promise<void> {
		const running = this.#pending.get(ticket);
		if (!running) throw new Error(`${ticket} has no attempt running (running: ${this.running().join(', ') || 'none'})`);
		this.#pending.delete(ticket);
		if (outcome.kind === 'done') {
			const merge = 'a'.repeat(40);
			running.ctx.log.append({type: 'ticket.done', ticket, attempt: running.attempt, mergeCommit: merge, verifyDigest: 'd'});
			await running.ctx.writeTicket(ticket, 'done', {status: 'done', merge_commit: merge, verify_digest: 'sha256:d'}, 'merged and verified live');
		}
		running.resolve(outcome);
	}

	/** The running attempt's agent exits (the engine reads its claim, as attempt.ts does); the attempt goes on. */
	agentExited(ticket: string): void {
		const running = this.#pending.get(ticket);
		if (!running) throw new Error(`${ticket} has no attempt running`);
		running.ctx.claimAfterAgent(ticket, running.attempt);
	}

	/** Resolves once `count` attempts have started in all. */
	async startedCount(count: number): Promise<void> {
		while (this.started.length < count) await new Promise<void>(resolve => this.#waiters.push(resolve));
	}
}

/** An oracle that is never asked as a process: every verdict is "not done". */
export function quietJudge(): Judge {
	const verdict: OracleVerdict = {verdict: 'not_done', exit: 1, tickets: []} as unknown as OracleVerdict;
	return {judge: async () => verdict, schedule: () => undefined, settled: async () => undefined, tampered: () => undefined, close: () => undefined};
}

export type FakeRun = {engine: Engine; tracker: MemoryTracker; attempts: ScriptedAttempts; log: EventLog; clock: {now: number}; events: () => EngineEvent[]};

/** A run of `tickets` over an in-memory tracker; `history` is a log as a crash left it. */
export function fakeRun(opts: {tickets: TicketSpec[]; config?: Record<string, unknown>; history?: EngineEvent[]}): FakeRun {
	const dir = mkdtempSync(path.join(tmpdir(), 'proofloop-engine-'));
	const config: ProjectConfig = parseProjectConfig(JSON.stringify({batch: 'b', agent: {type: 'demo'}, sandbox: 'none', ...opts.config}));
	const tickets = opts.tickets.map(ticketOf);
	const tracker = new MemoryTracker(tickets);
	const log = new EventLog(path.join(dir, 'events.jsonl'), opts.history ?? []);
	const run: RunDir = {
		id: `fake-${path.basename(dir)}`,
		dir,
		manifestFile: path.join(dir, 'manifest.json'),
		eventsFile: log.file,
		logFile: (ticket, attempt) => path.join(dir, 'logs', `${ticket}-${attempt}.log`),
		promptFile: (ticket, attempt) => path.join(dir, 'prompts', `${ticket}-${attempt}.md`),
	};
	const manifest: Manifest = {
		run_id: run.id,
		batch: 'b',
		base_branch: 'main',
		base_commit: '0'.repeat(40),
		ticket_ids: tickets.map(t => t.id),
		oracle_sha256: 'x',
		config_sha256: 'y',
		created_at: new Date(0).toISOString(),
		proofloop_version: '0',
	};
	const clock = {now: Date.parse('2026-01-01T00:00:00Z')};
	// The git side of a run the loop touches without a real attempt: where a checkout would be, and the ledger's gate records.
	const gates: GateLedgerRecord[] = [];
	const repo = {
		root: dir,
		worktreePath: (id: string) => path.join(dir, 'worktrees', id),
		removeWorktree: async () => undefined,
		recordGate: async (record: GateLedgerRecord) => (gates.push(record), {kind: 'appended', sha: String(gates.length)}),
		latestGate: async (ticket: string) => gates.findLast(g => g.ticket === ticket),
	} as unknown as Repo;
	const deps: RunDeps = {
		repoRoot: dir,
		repo,
		tracker,
		config,
		adapter: {name: 'fake'} as unknown as AgentAdapter,
		run,
		manifest,
		log,
		baseEnv: {},
		slots: new AgentSlots(config.agentCaps),
		tickets: new TicketWriter(log, tracker, tickets),
		openChannel: async () => ({socket: path.join(dir, 'worker.sock'), close: async () => undefined}),
		pins: new Map(),
		now: () => clock.now,
	};
	const attempts = new ScriptedAttempts();
	const engine = new Engine(deps, {runAttempt: attempts.run, judge: quietJudge()});
	return {engine, tracker, attempts, log, clock, gates, events: () => engine.events};
}
