/**
 * Reads `copilot -p … --output-format json` output (GitHub Copilot CLI
 * 1.0.102): `{type, data, id, timestamp, parentId}` lines, ending in
 * `{"type":"result","sessionId","exitCode","usage"}`. See
 * test/fixtures/agents/copilot/.
 *
 * - Verdict: the result's `exitCode` (mirrors the process exit), with the
 *   reason from `session.error`.
 * - A tool denied for lack of permission (`tool.execution_complete` with
 *   `error.code: "denied"`) still exits 0: a failure here.
 * - Final message: the last `assistant.message` with no `toolRequests`.
 * - Tokens are not in the stream (only `--usage-output-file`): no usage event.
 */
import type {AgentEvent, AgentVerdict} from './adapter.js';
import {oneLine, toolEvent} from './claude-stream.js';
import {BaseStreamParser, type Exit} from './stream-parser.js';
import {errorMessage, howItEnded, isObject, jsonLine, maybeNum, str, type Json} from './stream-util.js';

export class CopilotStreamParser extends BaseStreamParser {
	private lastMessage: string | undefined;
	private sessionError: {message: string; status?: number; type?: string} | undefined;
	private result: {exitCode: number} | undefined;
	private readonly tools = new Map<string, string>();

	line(line: string): AgentEvent[] {
		const event = jsonLine(line);
		if (!event) return [];
		const data = isObject(event['data']) ? event['data'] : {};
		switch (event['type']) {
			case 'assistant.message':
				return this.assistantMessage(data);
			case 'tool.execution_start': {
				const name = str(data['toolName']) ?? 'tool';
				if (typeof data['toolCallId'] === 'string') this.tools.set(data['toolCallId'], name);
				return [toolEvent(name, data['arguments'])];
			}
			case 'tool.execution_complete':
				this.toolComplete(data);
				return [];
			case 'session.error': {
				const message = str(data['message']) ?? 'copilot reported a session error';
				const status = maybeNum(data['statusCode']);
				const type = str(data['errorType']);
				this.sessionError = {message: oneLine(message, 300), ...(status === undefined ? {} : {status}), ...(type === undefined ? {} : {type})};
				return [];
			}
			case 'result':
				return this.onResult(event);
			default:
				return [];
		}
	}

	protected verdict(exit: Exit): AgentVerdict {
		const error = this.sessionError;
		const hints = {status: error?.status, force: error?.type !== undefined && /rate|quota|limit/i.test(error.type)};
		if (!this.result) {
			const reason = `copilot ended without a result event${howItEnded(exit)}${error ? `; ${error.message}` : ''}${this.stderr.suffix()}`;
			return this.failure(reason, [error?.message, ...this.stderr.all()], hints);
		}
		if (this.result.exitCode !== 0 || error) {
			return this.failure(error?.message ?? `copilot reported exit code ${this.result.exitCode}`, [error?.message], hints);
		}
		return this.success(this.lastMessage || 'copilot reported success', exit);
	}

	private assistantMessage(data: Json): AgentEvent[] {
		const content = str(data['content']) ?? '';
		const requests = Array.isArray(data['toolRequests']) ? data['toolRequests'] : [];
		if (content.trim() === '') return [];
		if (requests.length === 0) this.lastMessage = content;
		return [{type: 'text', text: content}];
	}

	private toolComplete(data: Json): void {
		if (data['success'] !== false || !isObject(data['error']) || data['error']['code'] !== 'denied') return;
		const name = (typeof data['toolCallId'] === 'string' && this.tools.get(data['toolCallId'])) || 'a tool';
		this.denials.push(`${name} (${oneLine(errorMessage(data['error']) ?? 'denied', 80)})`);
	}

	private onResult(event: Json): AgentEvent[] {
		this.sessionId = str(event['sessionId']) ?? this.sessionId;
		const exitCode = maybeNum(event['exitCode']) ?? 1;
		this.result = {exitCode};
		const ok = exitCode === 0 && !this.sessionError && this.denials.length === 0;
		const message = ok
			? (this.lastMessage ?? '')
			: (this.sessionError?.message ?? (exitCode !== 0 ? `copilot reported exit code ${exitCode}` : `tools were denied: ${this.denials.join(', ')}`));
		return [this.resultEvent(ok, message)];
	}
}
