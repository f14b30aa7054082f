/**
 * What the demo engine prints: Claude Code's `stream-json` lines (system init,
 * assistant text and tool_use, the user's tool_result, one result), so the
 * Claude parser reads it exactly as it reads claude.
 */
import {randomUUID} from 'node:crypto';
import {DemoFailure} from './recipe.js';

const sessionId = randomUUID();
const started = Date.now();
const usage = {input_tokens: 0, output_tokens: 0};
let turns = 0;
let messageCount = 0;
let toolCount = 0;

/** Deterministic stand-in for a token count: about four characters a token. */
export function tokens(text: string): number {
	return Math.ceil(text.length / 4);
}

/** The prompt's size, reported as input tokens. */
export function promptRead(prompt: string): void {
	usage.input_tokens = tokens(prompt);
}

function emit(message: Record<string, unknown>): void {
	// Pipes are written synchronously on Linux, so nothing is lost at exit.
	process.stdout.write(`${JSON.stringify(message)}\n`);
}

export function init(cwd: string): void {
	emit({
		type: 'system',
		subtype: 'init',
		cwd,
		session_id: sessionId,
		tools: ['Bash', 'Edit', 'Write'],
		mcp_servers: [],
		model: 'proofloop-demo',
		permissionMode: 'bypassPermissions',
		apiKeySource: 'none',
	});
}

function assistant(content: Array<Record<string, unknown>>): void {
	turns++;
	emit({
		type: 'assistant',
		message: {
			id: `msg_demo_${++messageCount}`,
			type: 'message',
			role: 'assistant',
			model: 'proofloop-demo',
			content,
			stop_reason: null,
			usage: {input_tokens: usage.input_tokens, output_tokens: 1},
		},
		parent_tool_use_id: null,
		session_id: sessionId,
	});
}

export function say(text: string): void {
	usage.output_tokens += tokens(text);
	assistant([{type: 'text', text}]);
}

/** A tool_use line, the work, then the tool_result line, as claude prints them. */
export function tool(name: string, input: Record<string, unknown>, work: () => string): void {
	const id = `toolu_demo_${++toolCount}`;
	usage.output_tokens += tokens(JSON.stringify(input));
	assistant([{type: 'tool_use', id, name, input}]);
	let output: string;
	let isError = false;
	try {
		output = work();
	} catch (error) {
		output = error instanceof Error ? error.message : String(error);
		isError = true;
	}
	emit({
		type: 'user',
		message: {role: 'user', content: [{tool_use_id: id, type: 'tool_result', content: output, is_error: isError}]},
		parent_tool_use_id: null,
		session_id: sessionId,
	});
	if (isError) throw new DemoFailure(`${name} failed: ${output}`);
}

export function result(fields: Record<string, unknown>): void {
	emit({
		type: 'result',
		duration_ms: Date.now() - started,
		num_turns: turns,
		session_id: sessionId,
		total_cost_usd: 0,
		usage,
		permission_denials: [],
		...fields,
	});
}
