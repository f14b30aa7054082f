/**
 * Reads `codex exec --json` output (codex 0.169.0): `thread.*`, `turn.*` and
 * `item.*` events (codex-rs/exec/src/exec_events.rs). See
 * test/fixtures/agents/codex/.
 *
 * - The verdict is `turn.completed` (success) or `turn.failed`. Neither means
 *   the process died or was killed: a failure. (With the network down codex
 *   never exits at all; the runner's timeout ends it.)
 * - `{"type":"error"}` events and `error` items are NOT terminal: retry notices
 *   ("Reconnecting... 1/5"), "Model metadata … not found", WebSocket fallback.
 *   A run that then completes is a success.
 * - The final message is the last `agent_message` item; cost is never reported.
 */
import type {AgentEvent, AgentVerdict} from './adapter.js';
import {oneLine, toolDetail, toolEvent} from './claude-stream.js';
import {BaseStreamParser, type Exit} from './stream-parser.js';
import {errorMessage, howItEnded, isObject, jsonLine, num, str, type Json} from './stream-util.js';

/** `/bin/bash -lc 'npm test'` -> `npm test`: the wrapper is codex's, the command is the agent's. */
export function unwrapShell(command: string): string {
	const wrapped = /^(?:\S*\/)?(?:ba|z)?sh -l?c '((?:[^']|'\\'')*)'$/.exec(command.trim());
	return wrapped ? wrapped[1]!.replaceAll(`'\\''`, `'`) : command;
}

export class CodexStreamParser extends BaseStreamParser {
	private lastMessage: string | undefined;
	/** The last non-fatal error event, quoted when the run ends without a verdict. */
	private lastError: string | undefined;
	private completed = false;
	private failed: string | undefined;
	/** Items whose tool event was already shown at item.started. */
	private readonly shown = new Set<string>();

	line(line: string): AgentEvent[] {
		const event = jsonLine(line);
		if (!event) return [];
		switch (event['type']) {
			case 'thread.started':
				this.sessionId = str(event['thread_id']) ?? this.sessionId;
				return [];
			case 'item.started':
				return isObject(event['item']) ? this.itemStarted(event['item']) : [];
			case 'item.completed':
				return isObject(event['item']) ? this.itemCompleted(event['item']) : [];
			case 'turn.completed':
				return this.turnCompleted(event);
			case 'turn.failed': {
				this.failed = errorMessage(event['error']) ?? 'codex reported turn.failed';
				return [this.resultEvent(false, this.failed)];
			}
			case 'error':
				// Not terminal: retries and warnings. Kept for the reason if nothing else comes.
				this.lastError = str(event['message']) ?? this.lastError;
				return [];
			default:
				// turn.started, item.updated, item.plan.delta, request_user_input, ...
				return [];
		}
	}

	protected verdict(exit: Exit): AgentVerdict {
		if (this.failed !== undefined) return this.failure(this.failed, [this.failed]);
		if (!this.completed) {
			const last = this.lastError ? `; last error: ${this.lastError}` : '';
			const reason = `codex ended without turn.completed or turn.failed${howItEnded(exit)}${last}${this.stderr.suffix()}`;
			return this.failure(reason, [this.lastError, ...this.stderr.all()]);
		}
		return this.success(this.lastMessage || 'codex completed the turn', exit);
	}

	private turnCompleted(event: Json): AgentEvent[] {
		this.completed = true;
		const usage = isObject(event['usage']) ? event['usage'] : {};
		return [this.usageEvent(num(usage['input_tokens']), num(usage['output_tokens'])), this.resultEvent(true, this.lastMessage ?? '')];
	}

	private itemStarted(item: Json): AgentEvent[] {
		const tool = this.tool(item);
		if (!tool) return [];
		if (typeof item['id'] === 'string') this.shown.add(item['id']);
		return [tool];
	}

	private itemCompleted(item: Json): AgentEvent[] {
		if (item['status'] === 'declined') this.denials.push(describe(item));
		switch (item['type']) {
			case 'agent_message': {
				const text = str(item['text']);
				if (!text) return [];
				this.lastMessage = text;
				return [{type: 'text', text}];
			}
			case 'file_change': {
				const paths = Array.isArray(item['changes'])
					? item['changes'].map(change => (isObject(change) ? str(change['path']) : undefined)).filter((p): p is string => p !== undefined)
					: [];
				return [paths.length > 0 ? {type: 'tool', name: 'edit', detail: oneLine(paths.join(', '))} : {type: 'tool', name: 'edit'}];
			}
			default: {
				// A tool that had no item.started line is shown once it completes.
				if (typeof item['id'] === 'string' && this.shown.has(item['id'])) return [];
				const tool = this.tool(item);
				return tool ? [tool] : [];
			}
		}
	}

	/** The tool event for a command, MCP call or web search item. */
	private tool(item: Json): AgentEvent | undefined {
		switch (item['type']) {
			case 'command_execution': {
				const command = str(item['command']);
				return command ? {type: 'tool', name: 'shell', detail: oneLine(unwrapShell(command))} : {type: 'tool', name: 'shell'};
			}
			case 'mcp_tool_call': {
				const name = [str(item['server']), str(item['tool'])].filter(Boolean).join('.') || 'mcp';
				return toolEvent(name, item['arguments']);
			}
			case 'web_search': {
				const query = str(item['query']);
				return query ? {type: 'tool', name: 'web_search', detail: oneLine(query)} : {type: 'tool', name: 'web_search'};
			}
			default:
				return undefined;
		}
	}
}

function describe(item: Json): string {
	const type = str(item['type']) ?? 'a tool';
	if (type === 'command_execution' && typeof item['command'] === 'string') return `shell (${oneLine(unwrapShell(item['command']))})`;
	const detail = toolDetail(type, item);
	return detail ? `${type} (${detail})` : type;
}
