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
import type {AgentEvent, AgentLimit, AgentVerdict} from './adapter.js';
import {oneLine, toolEvent} from './claude-stream.js';
import {retryAfterHeader} from './limits.js';
import {BaseStreamParser, type Exit} from './stream-parser.js';
import {errorMessage, howItEnded, isObject, jsonLine, maybeNum, num, str, type Json} from './stream-util.js';

const AUTO_REJECT = /^!?\s*permission requested:\s*(.*?);\s*auto-rejecting/i;
const REJECTED = /rejected permission|permission (?:was )?(?:denied|rejected)/i;

type OpencodeError = {message: string; status?: number; known?: AgentLimit};

export class OpencodeStreamParser extends BaseStreamParser {
	private lastText: string | undefined;
	private lastStepReason: string | undefined;
	private done = false;
	private readonly errors: OpencodeError[] = [];

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
				return [this.usageEvent(num(tokens['input']), num(tokens['output']), cost)];
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

	protected verdict(exit: Exit): AgentVerdict {
		const error = this.errors.at(-1);
		if (error) return this.failure(error.message, [error.message], {status: error.status, known: error.known});
		// No terminal event: a denial outranks how the process ended.
		const denied = this.denied();
		if (denied) return denied;
		if (exit.signal || (exit.exitCode !== undefined && exit.exitCode !== 0)) {
			return this.failure(`opencode failed${howItEnded(exit)}${this.stderr.suffix()}`, [...this.stderr.all()]);
		}
		if (!this.done && this.lastStepReason !== 'stop') {
			const where = this.lastStepReason ? ` (its last step ended with "${this.lastStepReason}")` : ' (no step finished)';
			return {ok: false, reason: `opencode ended without finishing its turn${where}${howItEnded(exit)}${this.stderr.suffix()}`};
		}
		return this.success(this.lastText || 'opencode finished its turn', exit);
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
