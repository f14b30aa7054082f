/**
 * The seam between the engine and a coding agent CLI. An adapter only knows how
 * to build a command line and how to read that CLI's output; spawning, logging,
 * timeouts and killing are the runner's job, the same for every adapter.
 */

/** One thing an agent did, in our own vocabulary. */
export type AgentEvent =
	| {type: 'text'; text: string}
	| {type: 'tool'; name: string; detail?: string}
	| {type: 'usage'; inputTokens: number; outputTokens: number; costUsd?: number}
	| {type: 'result'; ok: boolean; message: string; sessionId?: string};

/** What an attempt hands the agent. */
export type AttemptInput = {
	ticketId: string;
	attempt: number;
	maxAttempts: number;
	/** Absolute path of the rendered prompt file. */
	promptFile: string;
	/** Absolute path of the ticket's worktree: the agent's working directory. */
	worktree: string;
	model?: string;
};

export type AgentCommand = {
	file: string;
	args: string[];
	/** Extra environment for this CLI (merged over the runner's). */
	env?: Record<string, string>;
};

/** Reads one CLI's stdout line by line. */
export interface StreamParser {
	/** Feed one line of stdout (without the newline); returns what it meant. */
	line(line: string): AgentEvent[];
	/**
	 * Called once after the process ended. Returns the attempt's verdict: a run
	 * that ends without a result event, or with an error result, or non-zero,
	 * is a failure with a reason, never a success.
	 */
	finish(exit: {exitCode?: number; signal?: string}): {ok: boolean; reason: string};
}

export interface AgentAdapter {
	readonly name: string;
	command(input: AttemptInput): AgentCommand;
	parser(): StreamParser;
}
