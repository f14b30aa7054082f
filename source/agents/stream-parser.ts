/**
 * What every stream parser shares: the session id, the stderr tail, the clock
 * for limits, and how a verdict is worded (a limit parks; a success still
 * fails on a denied tool or a bad exit). Each CLI's parser only reads its lines.
 */
import type {AgentEvent, AgentLimit, AgentVerdict, StreamParser} from './adapter.js';
import {detectLimit} from './limits.js';
import {exitContradicts, StderrTail} from './stream-util.js';

export type Exit = {exitCode?: number; signal?: string};

export type StreamParserOptions = {
	/** The clock for "resets 9am"-style limits. */
	now?: () => Date;
};

/** What the stream said beyond its text: an HTTP status, a rejection, a known reset time. */
type LimitHints = {status?: number | undefined; force?: boolean; known?: AgentLimit | undefined};

export abstract class BaseStreamParser implements StreamParser {
	protected sessionId: string | undefined;
	protected readonly stderr = new StderrTail();
	/** Tools the CLI refused to run: the agent's "success" describes work that did not happen. */
	protected readonly denials: string[] = [];
	protected readonly now: () => Date;

	constructor(options: StreamParserOptions = {}) {
		this.now = options.now ?? (() => new Date());
	}

	abstract line(line: string): AgentEvent[];

	/** The verdict before the session id is added. */
	protected abstract verdict(exit: Exit): AgentVerdict;

	stderrLine(line: string): void {
		this.stderr.push(line);
	}

	finish(exit: Exit): AgentVerdict {
		const verdict = this.verdict(exit);
		return this.sessionId === undefined ? verdict : {...verdict, sessionId: this.sessionId};
	}

	/** A failure, parked as a limit when the texts (or hints) say a usage or rate limit was hit. */
	protected failure(reason: string, texts: Array<string | undefined>, hints: LimitHints = {}): AgentVerdict {
		const limit = detectLimit(texts, {...hints, now: this.now()});
		return limit ? {ok: false, reason, limit} : {ok: false, reason};
	}

	/** "tools were denied: ..." when any was. */
	protected denied(denials: readonly string[] = this.denials): AgentVerdict | undefined {
		return denials.length > 0 ? {ok: false, reason: `tools were denied: ${denials.join(', ')}`} : undefined;
	}

	/** What the stream called a success: still a failure after a denied tool, a signal or a non-zero exit. */
	protected success(reason: string, exit: Exit, denials: readonly string[] = this.denials): AgentVerdict {
		const denied = this.denied(denials);
		if (denied) return denied;
		const contradiction = exitContradicts(exit);
		if (contradiction) return {ok: false, reason: contradiction};
		return {ok: true, reason};
	}

	protected resultEvent(ok: boolean, message: string): AgentEvent {
		return this.sessionId === undefined ? {type: 'result', ok, message} : {type: 'result', ok, message, sessionId: this.sessionId};
	}

	protected usageEvent(inputTokens: number, outputTokens: number, costUsd?: number): AgentEvent {
		return costUsd === undefined ? {type: 'usage', inputTokens, outputTokens} : {type: 'usage', inputTokens, outputTokens, costUsd};
	}
}
