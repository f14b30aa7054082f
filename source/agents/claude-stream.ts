/**
 * Reads Claude Code's `--output-format stream-json --verbose` output (also
 * spoken by the built-in demo engine). Shapes verified against real claude
 * 2.1.330 output; see test/fixtures/agents/claude/. The same shape, with small
 * differences this parser also accepts, is printed by qwen (qwen-stream.ts),
 * amp (`error` string on an error result, no cost) and cursor (`tool_call`
 * lines, camelCase usage).
 */
import type {AgentEvent, AgentLimit, AgentVerdict} from './adapter.js';
import {fromEpoch} from './limits.js';
import {BaseStreamParser, type Exit, type StreamParserOptions} from './stream-parser.js';
import {errorMessage, howItEnded, isObject, jsonLine, maybeNum, num, str, type Json} from './stream-util.js';

/** Keeps a tool's detail to one short line: a pane shows one row per tool call. */
export function oneLine(text: string, max = 120): string {
	const flat = text.replace(/\s+/g, ' ').trim();
	return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}

/** The one thing worth showing about a tool call: the command, the file, the pattern. */
export function toolDetail(name: string, input: unknown): string | undefined {
	if (!isObject(input)) return undefined;
	const pick = (...keys: string[]): string | undefined => {
		for (const key of keys) {
			const value = input[key];
			if (typeof value === 'string' && value.trim() !== '') return value;
		}
		return undefined;
	};
	let detail: string | undefined;
	switch (name) {
		case 'Bash':
			detail = pick('command', 'cmd');
			break;
		case 'Grep':
		case 'Glob': {
			const pattern = pick('pattern');
			const where = pick('path');
			detail = pattern && where ? `${pattern} in ${where}` : pattern;
			break;
		}
		case 'TodoWrite':
			detail = Array.isArray(input['todos']) ? `${input['todos'].length} todos` : undefined;
			break;
		default:
			// Read, Write, Edit, NotebookEdit, WebFetch, WebSearch, Task, ...:
			// the first of the usual "what" fields, else the first string.
			// Other CLIs' tools (run_shell_command, bash, read_file, edit, ...) too.
			detail =
				pick('command', 'cmd', 'file_path', 'filePath', 'absolute_path', 'notebook_path', 'path', 'url', 'query', 'pattern', 'description', 'prompt') ??
				Object.values(input).find((value): value is string => typeof value === 'string' && value.trim() !== '');
	}
	return detail === undefined ? undefined : oneLine(detail);
}

type ResultSummary = {ok: boolean; message: string; denials: string[]; apiErrorStatus?: number};

export type ClaudeStreamOptions = StreamParserOptions & {
	/** Who is talking, for reasons: "claude" (default), "amp", "cursor", "qwen". */
	name?: string;
};

export class ClaudeStreamParser extends BaseStreamParser {
	protected readonly name: string;
	/** The last result event seen: claude emits one per turn, the last one is the verdict. */
	protected result: ResultSummary | undefined;
	/** A `rate_limit_event` with status "rejected", or a synthetic `error: "rate_limit"` message. */
	private rejected: AgentLimit | undefined;

	constructor(options: ClaudeStreamOptions = {}) {
		super(options);
		this.name = options.name ?? 'claude';
	}

	line(line: string): AgentEvent[] {
		// stderr-ish noise, warnings or a banner on stdout is not fatal.
		const message = jsonLine(line);
		if (!message) return [];
		if (typeof message['session_id'] === 'string') this.sessionId = message['session_id'];

		switch (message['type']) {
			case 'assistant':
				if (message['error'] === 'rate_limit') this.rejected ??= {};
				return this.assistant(message);
			case 'result':
				return this.onResult(message);
			case 'rate_limit_event':
				this.rateLimitEvent(message);
				return [];
			case 'tool_call':
				return this.cursorToolCall(message);
			default:
				// system (init, api_retry, status, ...), user (tool results),
				// stream_event (partial deltas: the full assistant line follows).
				return [];
		}
	}

	protected verdict(exit: Exit): AgentVerdict {
		const result = this.result;
		if (!result) return this.noResult(exit);
		const force = this.rejected !== undefined;
		if (!result.ok) return this.failure(result.message, [result.message], {status: result.apiErrorStatus, force, known: this.rejected});
		// The denials of the last result: the turn it closes is the verdict.
		return this.success(result.message || 'agent reported success', exit, result.denials);
	}

	/** No result event: crashed, killed, refused to start, or stopped early. */
	protected noResult(exit: Exit): AgentVerdict {
		const reason = `agent ended without a result event${howItEnded(exit)}${this.stderr.suffix()}`;
		return this.failure(reason, [...this.stderr.all()], {force: this.rejected !== undefined, known: this.rejected});
	}

	private assistant(message: Json): AgentEvent[] {
		const body = message['message'];
		if (!isObject(body) || !Array.isArray(body['content'])) return [];
		const events: AgentEvent[] = [];
		for (const block of body['content']) {
			if (!isObject(block)) continue;
			if (block['type'] === 'text' && typeof block['text'] === 'string' && block['text'] !== '') {
				events.push({type: 'text', text: block['text']});
			} else if (block['type'] === 'tool_use' && typeof block['name'] === 'string') {
				events.push(toolEvent(block['name'], block['input']));
			}
			// thinking blocks are not shown: they are not what the agent did.
		}
		return events;
	}

	private rateLimitEvent(message: Json): void {
		const info = message['rate_limit_info'];
		if (!isObject(info) || info['status'] !== 'rejected') return;
		const resetsAt = maybeNum(info['resetsAt']);
		this.rejected = resetsAt === undefined ? {} : {resetAt: fromEpoch(resetsAt)};
	}

	/** cursor: `{"type":"tool_call","subtype":"started","tool_call":{"shellToolCall":{"args":{...}}}}`. */
	private cursorToolCall(message: Json): AgentEvent[] {
		if (message['subtype'] !== 'started' || !isObject(message['tool_call'])) return [];
		const entry = Object.entries(message['tool_call']).find(([key, value]) => key.endsWith('ToolCall') && isObject(value));
		if (!entry) return [];
		const [key, call] = entry as [string, Json];
		return [toolEvent(key.slice(0, -'ToolCall'.length), call['args'])];
	}

	private onResult(message: Json): AgentEvent[] {
		// API and auth errors arrive as subtype "success" with is_error: true,
		// so both must agree before a result counts as a success.
		const ok = message['subtype'] === 'success' && message['is_error'] !== true;
		const errors = Array.isArray(message['errors']) ? message['errors'].filter((e): e is string => typeof e === 'string') : [];
		// claude: `result` text or `errors`; amp: `error` string; qwen: `error.message`.
		let text = str(message['result']) ?? (errors.length > 0 ? errors.join('; ') : (errorMessage(message['error']) ?? ''));
		if (!ok && text.trim() === '') text = errorMessage(message['error']) ?? '';
		if (!ok && text.trim() === '') {
			const why = [message['subtype'], message['terminal_reason']].filter(value => typeof value === 'string').join(', ');
			text = `${this.name} reported an error${why ? ` (${why})` : ''}`;
		}
		const denials = Array.isArray(message['permission_denials']) ? message['permission_denials'].map(describeDenial) : [];
		const apiErrorStatus = maybeNum(message['api_error_status']);
		this.result = apiErrorStatus === undefined ? {ok, message: text, denials} : {ok, message: text, denials, apiErrorStatus};

		// claude/qwen/amp: snake_case `usage`; cursor: camelCase, in `usage` or at the top level.
		const usage = isObject(message['usage']) ? message['usage'] : message;
		const inputTokens = num(usage['input_tokens'] ?? usage['inputTokens']);
		const outputTokens = num(usage['output_tokens'] ?? usage['outputTokens']);
		const costUsd = maybeNum(message['total_cost_usd']);
		return [this.usageEvent(inputTokens, outputTokens, costUsd), this.resultEvent(ok, text)];
	}
}

/** A tool event, with the one detail worth showing when there is one. */
export function toolEvent(name: string, input: unknown): AgentEvent {
	const detail = toolDetail(name, input);
	return detail === undefined ? {type: 'tool', name} : {type: 'tool', name, detail};
}

/** `{tool_name, tool_use_id, tool_input}` in the SDK types; be lenient about the rest. */
function describeDenial(denial: unknown): string {
	if (!isObject(denial)) return 'a tool';
	const name = typeof denial['tool_name'] === 'string' ? denial['tool_name'] : 'a tool';
	const detail = toolDetail(name, denial['tool_input']);
	return detail ? `${name} (${detail})` : name;
}
