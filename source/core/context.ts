import type {AgentAdapter} from '../agents/adapter.js';
import type {Repo} from '../git/index.js';
import type {Tracker} from '../tracker/tracker.js';
import type {TicketUpdate} from '../tracker/ticket.js';
import type {ProjectConfig} from './config.js';
import type {EventLog} from './event-log.js';
import type {Manifest, RunDir} from './run-dir.js';

/** Everything one run's parts share. */
export type EngineContext = {
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
	/** Environment handed to agents, checks and verify commands (before our own variables). */
	baseEnv: Record<string, string>;
	/** True once the engine is shutting down: an attempt cut short then is interrupted, not failed. */
	stopping: () => boolean;
	/** Review rounds this ticket has had in this run. */
	reviewRounds: (ticket: string) => number;
	/** What the worker claimed through `proofloop ticket` during its run (read once, after it exits). */
	claimAfterAgent: (ticket: string, attempt: number) => AgentClaim | undefined;
	/** The only way the engine writes the tracker: the event first, then the file. */
	writeTicket: (id: string, status: string, fields: TicketUpdate, reason?: string) => Promise<void>;
};

export type AgentClaim =
	| {kind: 'parked'; reason: string}
	| {kind: 'blocked'; wall: string; tried: string; evidence: string}
	| {kind: 'challenged'; reason: string};

/** The environment every process of the run carries (the marker lets a resumed engine find orphans). */
export function runEnv(ctx: EngineContext, ticket: string, attempt: number): Record<string, string> {
	return {
		...ctx.baseEnv,
		PROOFLOOP_RUN_ID: ctx.run.id,
		PROOFLOOP_RUN_DIR: ctx.run.dir,
		PROOFLOOP_TICKET: ticket,
		PROOFLOOP_ATTEMPT: String(attempt),
	};
}
