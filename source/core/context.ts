import type {AgentAdapter} from '../agents/adapter.js';
import type {SandboxPolicy} from '../agents/sandbox.js';
import type {AgentSlots} from './agent-slots.js';
import type {Repo} from '../git/index.js';
import type {Tracker} from '../tracker/tracker.js';
import type {TicketUpdate} from '../tracker/ticket.js';
import type {ProjectConfig} from './config.js';
import type {EventLog} from './event-log.js';
import type {Manifest, RunDir} from './run-dir.js';
import type {WorkerChannel, WorkerHandlers} from './worker-channel.js';
import type {TicketWriter} from './ticket-writer.js';
import type {TicketPin} from './ticket-pins.js';
import type {DiskFullStop} from './disk-full.js';
import type {AttemptExecutor} from '../executor/executor.js';

/**
 * What a run is made of, fixed for its length: built once by start-run (or by a
 * test, with fakes of what the engine owns no process of) and handed to `new Engine`.
 */
export type RunDeps = {
	repoRoot: string;
	repo: Repo;
	tracker: Tracker;
	config: ProjectConfig;
	adapter: AgentAdapter;
	/** The second model, when the config names one: reviews each change before it merges. */
	reviewer?: AgentAdapter;
	run: RunDir;
	manifest: Manifest;
	log: EventLog;
	/** Environment handed to checks and verify commands (before our own variables); agents get an allow-listed part of it. */
	baseEnv: Record<string, string>;
	/** Every agent process runs inside bubblewrap under this policy; absent: unsandboxed. */
	sandbox?: SandboxPolicy;
	/** How this run stops when a write finds the disk full (see disk-full.ts); absent: the error is the caller's. */
	onDiskFull?: DiskFullStop;
	/** The per-agent-type caps (config agentCaps): every agent process takes a slot first. */
	slots: AgentSlots;
	/** The only way the engine writes the tracker: the event first, then the file (ticket-writer.ts). */
	tickets: TicketWriter;
	/** Open an attempt's worker channel, its requests answered by `handlers` (the engine's). */
	openChannel: (ticket: string, attempt: number, handlers: WorkerHandlers) => Promise<WorkerChannel>;
	/** Each ticket's finish line as the run first saw it (ticket-pins.ts). */
	pins: Map<string, TicketPin>;
	/** Wall-clock time in ms (a test moves it by hand). */
	now: () => number;
	/** Where the implement stage's agent runs (config "executor"); absent: on this machine. */
	executor?: AttemptExecutor;
};

/** What an attempt (attempt.ts, review, plan, heal) asks of the engine running it; the engine implements it. */
export type AttemptHost = {
	/** Housekeeping no ticket waits for; the run ends only once it is finished; a failure is a warning. */
	chore: (what: string, work: Promise<unknown>) => void;
	/** Whether the ticket is still the engine's to work on (false once a human gated it during the run). */
	owns: (ticket: string) => boolean;
	/** True once the engine is shutting down: an attempt cut short then is interrupted, not failed. */
	stopping: () => boolean;
	/** Why nothing may merge now (the oracle on disk no longer matches the run's pin), if so. */
	mergeHalt: () => string | undefined;
	/** Review rounds this ticket has had in this run. */
	reviewRounds: (ticket: string) => number;
	/** The ticket's attempt budget in this run (ledger.ts; a retry or a heal raises it). */
	attemptBudget: (ticket: string) => number;
	/** What the worker claimed through `proofloop ticket` during its run (read once, after it exits). */
	claimAfterAgent: (ticket: string, attempt: number) => AgentClaim | undefined;
	/** Write a ticket through the run's one writer (unless a human gated it meanwhile). */
	writeTicket: (id: string, status: string, fields: TicketUpdate, reason?: string) => Promise<void>;
	/** Open an attempt's worker channel (its agent's PROOFLOOP_CONTROL, bound into its box alone); closed when the agent is over. */
	workerChannel: (ticket: string, attempt: number) => Promise<WorkerChannel>;
};

/** Everything one run's parts share: the run's dependencies and the engine's answers. */
export type EngineContext = RunDeps & AttemptHost;

export type AgentClaim =
	{kind: 'parked'; reason: string} | {kind: 'blocked'; wall: string; tried: string; evidence: string} | {kind: 'challenged'; reason: string};

/** The part of a run an agent's environment comes from (a queue worker builds one of its own). */
export type AgentEnvSource = Pick<EngineContext, 'config' | 'baseEnv' | 'sandbox'> & {run: Pick<RunDir, 'id' | 'dir'>};

const runMarkers = (ctx: AgentEnvSource, ticket: string, attempt: number): Record<string, string> => ({
	PROOFLOOP_RUN_ID: ctx.run.id,
	PROOFLOOP_RUN_DIR: ctx.run.dir,
	PROOFLOOP_TICKET: ticket,
	PROOFLOOP_ATTEMPT: String(attempt),
});

/** The environment every process of the run carries (the marker lets a resumed engine find orphans). */
export function runEnv(ctx: EngineContext, ticket: string, attempt: number): Record<string, string> {
	return {...ctx.baseEnv, ...runMarkers(ctx, ticket, attempt)};
}

/**
 * What an agent may see of the engine's environment: what a CLI needs to run
 * and to reach its model, never the rest (cloud credentials, tokens, whatever
 * the engine's shell happened to export). A name, or a prefix ending in "_".
 */
export const AGENT_ENV_ALLOW: readonly string[] = [
	'PATH',
	'HOME',
	'USER',
	'LOGNAME',
	'SHELL',
	'LANG',
	'LANGUAGE',
	'LC_',
	'TERM',
	'COLORTERM',
	'NO_COLOR',
	'TMPDIR',
	'TZ',
	'XDG_',
	'HTTP_PROXY',
	'HTTPS_PROXY',
	'NO_PROXY',
	'ALL_PROXY',
	'http_proxy',
	'https_proxy',
	'no_proxy',
	'all_proxy',
	'NODE_EXTRA_CA_CERTS',
	'SSL_CERT_FILE',
	'SSL_CERT_DIR',
	// The known CLIs' auth, base-URL and behaviour variables.
	'ANTHROPIC_',
	'CLAUDE_',
	'DISABLE_AUTOUPDATER',
	'IS_SANDBOX',
	'OPENAI_',
	'CODEX_',
	'GEMINI_',
	'GOOGLE_',
	'OPENCODE_',
	'COPILOT_',
	'QWEN_',
	'PROOFLOOP_',
];

/** Whether `name` is allowed by an entry: exact, or a prefix when the entry ends in "_" or "*". */
export function envAllowed(name: string, allow: readonly string[]): boolean {
	return allow.some(entry => {
		if (entry.endsWith('*')) return name.startsWith(entry.slice(0, -1));
		if (entry.endsWith('_')) return name.startsWith(entry);
		return name === entry;
	});
}

/** An agent's environment: the allow-listed part of the run's, the config's additions, then the run markers. */
export function agentEnv(ctx: AgentEnvSource, ticket: string, attempt: number): Record<string, string> {
	const allow = [...AGENT_ENV_ALLOW, ...ctx.config.agentEnv.pass];
	const passed = Object.fromEntries(Object.entries(ctx.baseEnv).filter(([name]) => envAllowed(name, allow)));
	return {
		...passed,
		...ctx.config.agentEnv.set,
		PROOFLOOP_SANDBOX: ctx.sandbox ? 'bwrap' : 'none',
		...runMarkers(ctx, ticket, attempt),
	};
}

/** What a prompt and a label say after "attempt N of": the ticket's budget, never the bare config. */
export function budgetOf(ctx: EngineContext, ticket: string): number {
	return ctx.attemptBudget(ticket);
}
