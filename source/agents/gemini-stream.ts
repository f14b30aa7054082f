/**
 * Reads `gemini -o stream-json` output (gemini-cli 0.61.0): `init`, `message`,
 * `tool_use`, `tool_result`, `error`, `result`. See test/fixtures/agents/gemini/.
 *
 * - The verdict is the `result` event: `status: "success"` or `"error"` (with
 *   `error.message`). No result, or a non-zero exit, is a failure: for API
 *   errors gemini exits with the HTTP status mod 256 (401 -> 145, 429 -> 173).
 * - Assistant text arrives as `message` chunks with `delta: true`; one text
 *   event is emitted per run of chunks. The result has no text and no session
 *   id: those come from the chunks and from `init`.
 * - `error` events are non-fatal warnings.
 * - Without folder trust gemini silently drops --yolo (stderr: `Approval mode
 *   overridden to "default" because the current folder is not trusted.`): a
 *   run without its autonomy is a failure, whatever it then says.
 */
import type {AgentEvent, AgentVerdict} from './adapter.js';
import {oneLine, toolEvent} from './claude-stream.js';
import {BaseStreamParser, type Exit} from './stream-parser.js';
import {errorMessage, howItEnded, isObject, jsonLine, num, str, type Json} from './stream-util.js';

/** gemini's fatal exit codes (bundle: Fatal*Error classes). */
const GEMINI_EXITS: Record<number, string> = {
	41: 'gemini could not authenticate',
	42: 'gemini rejected its input',
	44: 'gemini sandbox error',
	52: 'gemini configuration error',
	53: 'gemini reached its turn limit',
	54: 'gemini tool execution error',
	55: 'gemini refused an untrusted folder',
	130: 'gemini was cancelled',
	145: 'gemini API error (HTTP 401)',
	173: 'gemini API error (HTTP 429)',
};

/** Tool errors that mean "not allowed", as opposed to a tool that ran and failed. */
const DENIED = /denied by policy|requires (?:user )?(?:confirmation|approval)|not supported in non-interactive/i;
const YOLO_DROPPED = /approval mode overridden/i;

export class GeminiStreamParser extends BaseStreamParser {
	private chunks: string[] = [];
	private lastMessage: string | undefined;
	private lastError: string | undefined;
	private result: {ok: boolean; message: string} | undefined;
	private readonly tools = new Map<string, string>();
	private yoloDropped: string | undefined;

	line(line: string): AgentEvent[] {
		const event = jsonLine(line);
		if (!event) return [];
		if (event['type'] === 'message') return this.message(event);
		// Any other event ends a run of assistant chunks.
		const events = this.flush();
		switch (event['type']) {
			case 'init':
				this.sessionId = str(event['session_id']) ?? this.sessionId;
				break;
			case 'tool_use': {
				const name = str(event['tool_name']) ?? 'tool';
				if (typeof event['tool_id'] === 'string') this.tools.set(event['tool_id'], name);
				events.push(toolEvent(name, event['parameters']));
				break;
			}
			case 'tool_result':
				this.toolResult(event);
				break;
			case 'error':
				this.lastError = errorMessage(event) ?? errorMessage(event['error']) ?? this.lastError;
				break;
			case 'result':
				events.push(...this.onResult(event));
				break;
		}
		return events;
	}

	override stderrLine(line: string): void {
		super.stderrLine(line);
		if (YOLO_DROPPED.test(line)) this.yoloDropped = line.trim();
	}

	protected verdict(exit: Exit): AgentVerdict {
		this.flush();
		const result = this.result;
		// gemini exits with the HTTP status mod 256: 173 is a 429.
		const status = exit.exitCode === 173 ? 429 : undefined;
		if (!result) {
			const known = exit.exitCode === undefined ? undefined : GEMINI_EXITS[exit.exitCode];
			const last = this.lastError ? `; last error: ${this.lastError}` : '';
			const reason = `${known ?? 'gemini ended without a result event'}${known ? ', with no result event' : ''}${howItEnded(exit)}${last}${this.stderr.suffix()}`;
			return this.failure(reason, [this.lastError, ...this.stderr.all()], {status});
		}
		if (!result.ok) return this.failure(result.message, [result.message], {status});
		if (this.yoloDropped) return {ok: false, reason: `gemini ran without --yolo (the folder was not trusted): ${this.yoloDropped}`};
		return this.success(result.message || 'gemini reported success', exit);
	}

	private message(event: Json): AgentEvent[] {
		if (event['role'] !== 'assistant') return this.flush();
		const content = str(event['content']) ?? '';
		if (event['delta'] === true) {
			this.chunks.push(content);
			return [];
		}
		const events = this.flush();
		if (content !== '') {
			this.lastMessage = content;
			events.push({type: 'text', text: content});
		}
		return events;
	}

	/** The assistant's chunks so far, as one text event. */
	private flush(): AgentEvent[] {
		if (this.chunks.length === 0) return [];
		const text = this.chunks.join('');
		this.chunks = [];
		if (text.trim() === '') return [];
		this.lastMessage = text;
		return [{type: 'text', text}];
	}

	private toolResult(event: Json): void {
		if (event['status'] !== 'error') return;
		const message = errorMessage(event['error']) ?? str(event['output']) ?? '';
		if (!DENIED.test(message)) return;
		const name = (typeof event['tool_id'] === 'string' && this.tools.get(event['tool_id'])) || 'a tool';
		this.denials.push(`${name} (${oneLine(message, 80)})`);
	}

	private onResult(event: Json): AgentEvent[] {
		const ok = event['status'] === 'success';
		const message = ok
			? (this.lastMessage ?? '')
			: (errorMessage(event['error']) ?? `gemini reported ${typeof event['status'] === 'string' ? event['status'] : 'an unknown status'}`);
		this.result = {ok, message};
		const stats = isObject(event['stats']) ? event['stats'] : {};
		return [this.usageEvent(num(stats['input_tokens']), num(stats['output_tokens'])), this.resultEvent(ok, message)];
	}
}
