import type {AgentRunResult} from '../agents/runner.js';
import type {Ticket} from '../tracker/ticket.js';
import type {EngineContext} from '../core/context.js';

/** What the implement stage hands an executor: the prompt is written, the ticket's checkout prepared on its branch. */
export type ImplementRequest = {
	ticket: Ticket;
	attempt: number;
	promptFile: string;
	worktree: {path: string; branch: string};
	/** The attempt's log in the run directory (a pane and `tail` read it). */
	logFile: string;
};

/**
 * What came of the agent run. `agent` undefined: a stop or a gate came before it
 * started. The branch and the leftover commit are asked for after the attempt has
 * read the worker's claim, in today's order; a remote executor answers them from its result.
 */
export type Implemented = {
	agent: AgentRunResult | undefined;
	/** The branch the agent left the checkout on (undefined: a detached HEAD). */
	branch: () => Promise<string | undefined>;
	/** Commits what the agent left uncommitted; the new head, or undefined when nothing was left. */
	commitLeftovers: (message: string) => Promise<string | undefined>;
};

/** Where an attempt's agent runs: here (local) or on a worker anywhere (queue). The finish line always runs here. */
export type AttemptExecutor = {
	readonly kind: 'local' | 'queue';
	implement: (ctx: EngineContext, request: ImplementRequest) => Promise<Implemented>;
	/** The run is over: connections go. */
	close: () => Promise<void>;
};
