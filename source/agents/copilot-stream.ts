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
import type {AgentEvent, AgentVerdict, StreamParser} from './adapter.js';
import {oneLine, toolEvent} from './claude-stream.js';
import {detectLimit} from './limits.js';
import {errorMessage, exitContradicts, howItEnded, isObject, jsonLine, maybeNum, StderrTail, str, type Json} from './stream-util.js';

export class CopilotStreamParser implements StreamParser {
	private sessionId: string | undefined;
	private lastMessage: string | undefined;
	private sessionError: {message: string; status?: number; type?: string} | undefined;
	private result: {exitCode: number} | undefined;
	private readonly denials: string[] = [];
	private readonly tools = new Map<string, string>();
	private readonly stderr = new StderrTail();

	constructor(private readonly now: () => Date = () => new Date()) {}

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
				return this.resultEvent(event);
			default:
				return [];
		}
	}

	stderrLine(line: string): void {
		this.stderr.push(line);
	}

	finish(exit: {exitCode?: number; signal?: string}): AgentVerdict {
		const session = (verdict: AgentVerdict): AgentVerdict => (this.sessionId === undefined ? verdict : {...verdict, sessionId: this.sessionId});
		const error = this.sessionError;
		const limitOf = (texts: Array<string | undefined>) =>
			detectLimit(texts, {status: error?.status, force: error?.type !== undefined && /rate|quota|limit/i.test(error.type), now: this.now()});
		if (!this.result) {
			const reason = `copilot ended without a result event${howItEnded(exit)}${error ? `; ${error.message}` : ''}${this.stderr.suffix()}`;
			const limit = limitOf([error?.message, ...this.stderr.all()]);
			return session(limit ? {ok: false, reason, limit} : {ok: false, reason});
		}
		if (this.result.exitCode !== 0 || error) {
			const reason = error?.message ?? `copilot reported exit code ${this.result.exitCode}`;
			const limit = limitOf([error?.message]);
			return session(limit ? {ok: false, reason, limit} : {ok: false, reason});
		}
		if (this.denials.length > 0) return session({ok: false, reason: `tools were denied: ${this.denials.join(', ')}`});
		const contradiction = exitContradicts(exit);
		if (contradiction) return session({ok: false, reason: contradiction});
		return session({ok: true, reason: this.lastMessage || 'copilot reported success'});
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

	private resultEvent(event: Json): AgentEvent[] {
		this.sessionId = str(event['sessionId']) ?? this.sessionId;
		const exitCode = maybeNum(event['exitCode']) ?? 1;
		this.result = {exitCode};
		const ok = exitCode === 0 && !this.sessionError && this.denials.length === 0;
		const message = ok
			? (this.lastMessage ?? '')
			: (this.sessionError?.message ?? (exitCode !== 0 ? `copilot reported exit code ${exitCode}` : `tools were denied: ${this.denials.join(', ')}`));
		return [this.sessionId === undefined ? {type: 'result', ok, message} : {type: 'result', ok, message, sessionId: this.sessionId}];
	}
}
