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

/**
 * A usage or rate limit stopped the agent: waiting, not another attempt, is
 * what helps. Whatever the CLI said about when the limit lifts; both absent
 * means "it did not say": back off.
 */
export type AgentLimit = {
	/** ISO 8601 instant the CLI named ("resets 9am (Europe/Berlin)", "try again at 3:28 PM"). */
	resetAt?: string;
	/** A relative wait the CLI named ("try again in 2 days 3 hours", "Please retry in 23.5s"). */
	retryAfterSeconds?: number;
};

/** The attempt's verdict, from the parser once the process ended. */
export type AgentVerdict = {
	ok: boolean;
	reason: string;
	/** Set only on a failure caused by a usage or rate limit: park, do not spend an attempt. */
	limit?: AgentLimit;
	/** The CLI's session (thread) id, for a resume, when it printed one. */
	sessionId?: string;
};

/** Reads one CLI's stdout line by line. */
export interface StreamParser {
	/** Feed one line of stdout (without the newline); returns what it meant. */
	line(line: string): AgentEvent[];
	/**
	 * Optional: one line of stderr. Some failures are only explained there
	 * (a refused start, a turn limit, an untrusted folder), so a parser that
	 * listens can give a reason better than "no result event".
	 */
	stderrLine?(line: string): void;
	/**
	 * Called once after the process ended. Returns the attempt's verdict: a run
	 * that ends without a result event, or with an error result, or non-zero,
	 * is a failure with a reason, never a success.
	 */
	finish(exit: {exitCode?: number; signal?: string}): AgentVerdict;
}

export interface AgentAdapter {
	readonly name: string;
	command(input: AttemptInput): AgentCommand;
	parser(): StreamParser;
}
