import {describe, expect, it} from 'vitest';
import type {AgentEvent} from '../../../source/agents/adapter.js';
import {ClaudeStreamParser, toolDetail} from '../../../source/agents/claude-stream.js';
import {sampleLines} from './helpers.js';

const SESSION = 'cec09485-cc69-4868-a628-8f8c6b673b46';

/** Feeds recorded claude output through a fresh parser, as the runner would. */
function replay(lines: string[], exit: {exitCode?: number; signal?: string} = {exitCode: 0}) {
	const parser = new ClaudeStreamParser();
	const events: AgentEvent[] = lines.flatMap(line => parser.line(line));
	return {events, verdict: parser.finish(exit)};
}

describe('ClaudeStreamParser on real claude output', () => {
	it('success_tool_use: the tool call, the text, usage and an ok result', () => {
		const {events, verdict} = replay(sampleLines('success_tool_use.jsonl'));
		expect(events).toEqual([
			{type: 'tool', name: 'Bash', detail: 'echo hello-from-mock > mock.txt && cat mock.txt'},
			{type: 'text', text: 'All done: created mock.txt'},
			{type: 'usage', inputTokens: 2400, outputTokens: 74, costUsd: 0.00831},
			{type: 'result', ok: true, message: 'All done: created mock.txt', sessionId: 'cec09485-cc69-4868-a628-8f8c6b673b46'},
		]);
		expect(verdict).toEqual({ok: true, reason: 'All done: created mock.txt', sessionId: 'cec09485-cc69-4868-a628-8f8c6b673b46'});
	});

	it('error_max_turns: a failure carrying the errors', () => {
		const {events, verdict} = replay(sampleLines('error_max_turns.jsonl'), {exitCode: 1});
		expect(events.at(-1)).toMatchObject({type: 'result', ok: false, message: 'Reached maximum number of turns (1)'});
		expect(verdict).toEqual({ok: false, reason: 'Reached maximum number of turns (1)', sessionId: '6d181197-8ca6-4165-9ca9-6bd8b3dabb17'});
	});

	it('an API error arrives as subtype success with is_error true, and is a failure', () => {
		const {events, verdict} = replay(sampleLines('api_error_401_after_10_retries.jsonl'), {exitCode: 1});
		expect(events.filter(e => e.type === 'result')).toEqual([
			{type: 'result', ok: false, message: 'Invalid API key · Fix external API key', sessionId: '7dcdf6e1-9eed-4063-ab88-b0ed09974f57'},
		]);
		// A 401 is not a usage limit: no `limit`, the attempt is spent.
		expect(verdict).toEqual({ok: false, reason: 'Invalid API key · Fix external API key', sessionId: '7dcdf6e1-9eed-4063-ab88-b0ed09974f57'});
	});

	it('not logged in: a failure saying so, even if the exit code were 0', () => {
		const {verdict} = replay(sampleLines('not_logged_in.jsonl'), {exitCode: 0});
		expect(verdict).toEqual({ok: false, reason: 'Not logged in · Please run /login', sessionId: '11218d51-985c-478c-b822-17fe258db877'});
	});

	it('a stream cut before its result is a failure', () => {
		const lines = sampleLines('success_tool_use.jsonl');
		expect(replay(lines.slice(0, -1), {exitCode: 0}).verdict).toEqual({
			ok: false,
			reason: 'agent ended without a result event (exit code 0)',
			sessionId: SESSION,
		});
		expect(replay(lines.slice(0, 2), {signal: 'SIGKILL'}).verdict).toEqual({
			ok: false,
			reason: 'agent ended without a result event (killed by SIGKILL)',
			sessionId: SESSION,
		});
	});

	it('partial messages: the deltas are not shown twice, the full assistant line is', () => {
		const {events, verdict} = replay(sampleLines('partial_messages.jsonl'));
		expect(events.filter(e => e.type === 'text')).toEqual([{type: 'text', text: 'All done: created mock.txt'}]);
		expect(events.filter(e => e.type === 'tool')).toHaveLength(1);
		expect(verdict.ok).toBe(true);
	});
});

describe('ClaudeStreamParser verdicts', () => {
	const lines = sampleLines('success_tool_use.jsonl');
	const withResult = (patch: Record<string, unknown>): string[] => [
		...lines.slice(0, -1),
		JSON.stringify({...(JSON.parse(lines.at(-1)!) as object), ...patch}),
	];

	it('a success result with a non-zero exit is a failure naming the code', () => {
		expect(replay(lines, {exitCode: 2}).verdict).toEqual({ok: false, reason: 'agent reported success but exited with code 2', sessionId: SESSION});
	});

	it('denied tools make a success a failure', () => {
		const denied = withResult({permission_denials: [{tool_name: 'Bash', tool_use_id: 'toolu_1', tool_input: {command: 'rm -rf build'}}]});
		expect(replay(denied).verdict).toEqual({ok: false, reason: 'tools were denied: Bash (rm -rf build)', sessionId: SESSION});
	});

	it('an error result without text still says what happened', () => {
		const {verdict} = replay(withResult({subtype: 'error_during_execution', is_error: true, result: undefined, errors: [], terminal_reason: 'aborted_tools'}));
		expect(verdict).toEqual({ok: false, reason: 'claude reported an error (error_during_execution, aborted_tools)', sessionId: SESSION});
	});

	it('the last result decides', () => {
		const error = JSON.stringify({type: 'result', subtype: 'error_max_turns', is_error: true, errors: ['too many turns']});
		expect(replay([...lines, error]).verdict).toEqual({ok: false, reason: 'too many turns', sessionId: SESSION});
	});

	it('lines that are not JSON objects are ignored, not fatal', () => {
		const parser = new ClaudeStreamParser();
		for (const junk of ['', 'Warning: no stdin data received in 3s', '{"type": "assist', '[1,2]', 'null', '{"type":"assistant","message":7}']) {
			expect(parser.line(junk)).toEqual([]);
		}
		expect(parser.finish({exitCode: 0}).ok).toBe(false);
	});
});

describe('toolDetail', () => {
	it('summarises a tool call in one short line', () => {
		expect(toolDetail('Bash', {command: 'npm test\n  && echo ok'})).toBe('npm test && echo ok');
		expect(toolDetail('Write', {file_path: '/w/src/a.ts', content: 'x'})).toBe('/w/src/a.ts');
		expect(toolDetail('Edit', {file_path: '/w/b.ts', old_string: 'a', new_string: 'b'})).toBe('/w/b.ts');
		expect(toolDetail('Grep', {pattern: 'TODO', path: 'src'})).toBe('TODO in src');
		expect(toolDetail('WebFetch', {url: 'https://example.com', prompt: 'read'})).toBe('https://example.com');
		expect(toolDetail('Mystery', {n: 1, what: 'thing'})).toBe('thing');
		expect(toolDetail('Bash', {command: 'x'.repeat(500)})).toHaveLength(120);
		expect(toolDetail('Bash', 'nope')).toBeUndefined();
	});
});
