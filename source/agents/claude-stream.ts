/**
 * Reads Claude Code's `--output-format stream-json --verbose` output (also
 * spoken by the built-in demo engine). Shapes verified against real claude
 * 2.1.330 output; see test/fixtures/agents/claude/.
 */
import type {AgentEvent, StreamParser} from './adapter.js';

type Json = Record<string, unknown>;

const isObject = (value: unknown): value is Json => typeof value === 'object' && value !== null && !Array.isArray(value);
const num = (value: unknown): number => (typeof value === 'number' && Number.isFinite(value) ? value : 0);

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
			detail = pick('command');
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
			detail =
				pick('file_path', 'notebook_path', 'path', 'url', 'query', 'description', 'prompt') ??
				Object.values(input).find((value): value is string => typeof value === 'string' && value.trim() !== '');
	}
	return detail === undefined ? undefined : oneLine(detail);
}

type ResultSummary = {ok: boolean; message: string; denials: string[]};

export class ClaudeStreamParser implements StreamParser {
	private sessionId: string | undefined;
	/** The last result event seen: claude emits one per turn, the last one is the verdict. */
	private result: ResultSummary | undefined;

	line(line: string): AgentEvent[] {
		const trimmed = line.trim();
		// stderr-ish noise, warnings or a banner on stdout is not fatal.
		if (!trimmed.startsWith('{')) return [];
		let message: unknown;
		try {
			message = JSON.parse(trimmed);
		} catch {
			return [];
		}
		if (!isObject(message)) return [];
		if (typeof message['session_id'] === 'string') this.sessionId = message['session_id'];

		switch (message['type']) {
			case 'assistant':
				return this.assistant(message);
			case 'result':
				return this.resultEvent(message);
			default:
				// system (init, api_retry, status, ...), user (tool results),
				// stream_event (partial deltas: the full assistant line follows).
				return [];
		}
	}

	finish(exit: {exitCode?: number; signal?: string}): {ok: boolean; reason: string} {
		const result = this.result;
		if (!result) {
			const how = exit.signal ? ` (killed by ${exit.signal})` : exit.exitCode !== undefined ? ` (exit code ${exit.exitCode})` : '';
			return {ok: false, reason: `agent ended without a result event${how}`};
		}
		if (!result.ok) return {ok: false, reason: result.message};
		// A permission denial means the agent could not do what it set out to:
		// its "success" describes work that did not happen.
		if (result.denials.length > 0) return {ok: false, reason: `tools were denied: ${result.denials.join(', ')}`};
		if (exit.signal) return {ok: false, reason: `agent reported success but was killed by ${exit.signal}`};
		if (exit.exitCode !== undefined && exit.exitCode !== 0) {
			return {ok: false, reason: `agent reported success but exited with code ${exit.exitCode}`};
		}
		return {ok: true, reason: result.message || 'agent reported success'};
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
				const detail = toolDetail(block['name'], block['input']);
				events.push(detail === undefined ? {type: 'tool', name: block['name']} : {type: 'tool', name: block['name'], detail});
			}
			// thinking blocks are not shown: they are not what the agent did.
		}
		return events;
	}

	private resultEvent(message: Json): AgentEvent[] {
		// API and auth errors arrive as subtype "success" with is_error: true,
		// so both must agree before a result counts as a success.
		const ok = message['subtype'] === 'success' && message['is_error'] !== true;
		const errors = Array.isArray(message['errors']) ? message['errors'].filter((e): e is string => typeof e === 'string') : [];
		let text = typeof message['result'] === 'string' ? message['result'] : errors.join('; ');
		if (!ok && text.trim() === '') {
			const why = [message['subtype'], message['terminal_reason']].filter(value => typeof value === 'string').join(', ');
			text = `claude reported an error${why ? ` (${why})` : ''}`;
		}
		const denials = Array.isArray(message['permission_denials']) ? message['permission_denials'].map(describeDenial) : [];
		this.result = {ok, message: text, denials};

		const usage = isObject(message['usage']) ? message['usage'] : {};
		const events: AgentEvent[] = [
			{
				type: 'usage',
				inputTokens: num(usage['input_tokens']),
				outputTokens: num(usage['output_tokens']),
				costUsd: num(message['total_cost_usd']),
			},
		];
		events.push(
			this.sessionId === undefined ? {type: 'result', ok, message: text} : {type: 'result', ok, message: text, sessionId: this.sessionId},
		);
		return events;
	}
}

/** `{tool_name, tool_use_id, tool_input}` in the SDK types; be lenient about the rest. */
function describeDenial(denial: unknown): string {
	if (!isObject(denial)) return 'a tool';
	const name = typeof denial['tool_name'] === 'string' ? denial['tool_name'] : 'a tool';
	const detail = toolDetail(name, denial['tool_input']);
	return detail ? `${name} (${detail})` : name;
}
