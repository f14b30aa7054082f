/**
 * Reads `opencode run --format json` output (opencode 1.18.33): `step_start`,
 * `text`, `tool_use`, `step_finish`, `reasoning`, `error`, each with a
 * `sessionID`. See test/fixtures/agents/opencode/.
 *
 * - There is NO terminal result event in 1.18.33: success is exit 0, no
 *   `error` event, and a last `step_finish` with `reason: "stop"`. A run that
 *   stops after a `tool-calls` step, or prints nothing, is a failure. (A newer
 *   revision adds `{"type":"done","reason":"idle","rejected":[…]}`; accepted.)
 * - Cost is per step (`step_finish.part.cost`, USD) and tokens too: one usage
 *   event per step, summed by the runner.
 * - Without --auto a permission request is auto-rejected and says so on stdout
 *   (`! permission requested: bash (…); auto-rejecting`): a denial, a failure.
 */
import type {AgentEvent, AgentLimit, AgentVerdict, StreamParser} from './adapter.js';
import {oneLine, toolEvent} from './claude-stream.js';
import {detectLimit, retryAfterHeader} from './limits.js';
import {errorMessage, exitContradicts, howItEnded, isObject, jsonLine, maybeNum, num, StderrTail, str, type Json} from './stream-util.js';

const AUTO_REJECT = /^!?\s*permission requested:\s*(.*?);\s*auto-rejecting/i;
const REJECTED = /rejected permission|permission (?:was )?(?:denied|rejected)/i;

type OpencodeError = {message: string; status?: number; known?: AgentLimit};

export class OpencodeStreamParser implements StreamParser {
	private sessionId: string | undefined;
	private lastText: string | undefined;
	private lastStepReason: string | undefined;
	private done = false;
	private readonly errors: OpencodeError[] = [];
	private readonly denials: string[] = [];
	private readonly stderr = new StderrTail();

	constructor(private readonly now: () => Date = () => new Date()) {}

	line(line: string): AgentEvent[] {
		const rejected = AUTO_REJECT.exec(line.trim());
		if (rejected) {
			this.denials.push(oneLine(rejected[1]!));
			return [];
		}
		const event = jsonLine(line);
		if (!event) return [];
		this.sessionId = str(event['sessionID']) ?? this.sessionId;
		const part = isObject(event['part']) ? event['part'] : {};
		switch (event['type']) {
			case 'text': {
				const text = str(part['text']);
				if (!text || text.trim() === '') return [];
				this.lastText = text;
				return [{type: 'text', text}];
			}
			case 'tool_use':
				return this.toolUse(part);
			case 'step_finish': {
				this.lastStepReason = str(part['reason']) ?? this.lastStepReason;
				const tokens = isObject(part['tokens']) ? part['tokens'] : {};
				const cost = maybeNum(part['cost']);
				const usage = {inputTokens: num(tokens['input']), outputTokens: num(tokens['output'])};
				return [cost === undefined ? {type: 'usage', ...usage} : {type: 'usage', ...usage, costUsd: cost}];
			}
			case 'error':
				this.error(event['error']);
				return [];
			case 'done':
				this.done = true;
				if (Array.isArray(event['rejected'])) {
					for (const denial of event['rejected']) this.denials.push(typeof denial === 'string' ? denial : oneLine(JSON.stringify(denial)));
				}
				return [];
			default:
				// step_start, reasoning (with --thinking), ...
				return [];
		}
	}

	stderrLine(line: string): void {
		this.stderr.push(line);
	}

	finish(exit: {exitCode?: number; signal?: string}): AgentVerdict {
		const session = (verdict: AgentVerdict): AgentVerdict => (this.sessionId === undefined ? verdict : {...verdict, sessionId: this.sessionId});
		const error = this.errors.at(-1);
		if (error) {
			const limit = detectLimit([error.message], {status: error.status, known: error.known, now: this.now()});
			return session(limit ? {ok: false, reason: error.message, limit} : {ok: false, reason: error.message});
		}
		if (this.denials.length > 0) return session({ok: false, reason: `tools were denied: ${this.denials.join(', ')}`});
		if (exit.signal || (exit.exitCode !== undefined && exit.exitCode !== 0)) {
			const reason = `opencode failed${howItEnded(exit)}${this.stderr.suffix()}`;
			const limit = detectLimit([...this.stderr.all()], {now: this.now()});
			return session(limit ? {ok: false, reason, limit} : {ok: false, reason});
		}
		if (!this.done && this.lastStepReason !== 'stop') {
			const where = this.lastStepReason ? ` (its last step ended with "${this.lastStepReason}")` : ' (no step finished)';
			return session({ok: false, reason: `opencode ended without finishing its turn${where}${howItEnded(exit)}${this.stderr.suffix()}`});
		}
		const contradiction = exitContradicts(exit);
		if (contradiction) return session({ok: false, reason: contradiction});
		return session({ok: true, reason: this.lastText || 'opencode finished its turn'});
	}

	private toolUse(part: Json): AgentEvent[] {
		const name = str(part['tool']) ?? 'tool';
		const state = isObject(part['state']) ? part['state'] : {};
		if (state['status'] === 'error') {
			const message = errorMessage(state['error']) ?? str(state['output']) ?? '';
			if (REJECTED.test(message)) this.denials.push(`${name} (${oneLine(message, 80)})`);
		}
		return [toolEvent(name, state['input'])];
	}

	/** `{"name":"APIError","data":{"message","statusCode","isRetryable","responseHeaders"}}`. */
	private error(error: unknown): void {
		const data = isObject(error) && isObject(error['data']) ? error['data'] : {};
		const name = isObject(error) ? str(error['name']) : undefined;
		const text = errorMessage(error) ?? name ?? 'opencode reported an error';
		const status = maybeNum(data['statusCode']);
		const message = status === undefined ? text : `${text} (HTTP ${status})`;
		const headers = isObject(data['responseHeaders']) ? data['responseHeaders'] : {};
		const retryAfter = str(headers['retry-after']) ?? str(headers['Retry-After']);
		const known = retryAfter === undefined ? undefined : retryAfterHeader(retryAfter, this.now());
		const entry: OpencodeError = {message};
		if (status !== undefined) entry.status = status;
		if (known) entry.known = known;
		this.errors.push(entry);
	}
}
