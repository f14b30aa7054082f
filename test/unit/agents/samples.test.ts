/**
 * Every recorded sample in test/fixtures/agents/ (copied byte for byte from
 * the shared agent-samples), replayed through its parser as the runner would:
 * the events, the final verdict and how a failure is classified.
 */
import {readdirSync, readFileSync} from 'node:fs';
import {describe, expect, it} from 'vitest';
import type {AgentEvent, AgentVerdict, StreamParser} from '../../../source/agents/adapter.js';
import {ClaudeStreamParser} from '../../../source/agents/claude-stream.js';
import {CodexStreamParser} from '../../../source/agents/codex-stream.js';
import {CopilotStreamParser} from '../../../source/agents/copilot-stream.js';
import {GeminiStreamParser} from '../../../source/agents/gemini-stream.js';
import {OpencodeStreamParser} from '../../../source/agents/opencode-stream.js';
import {QwenStreamParser} from '../../../source/agents/qwen-stream.js';
import {fixture, sampleLines} from './helpers.js';

type Exit = {exitCode?: number; signal?: string};

const parsers = {
	claude: () => new ClaudeStreamParser(),
	codex: () => new CodexStreamParser(),
	gemini: () => new GeminiStreamParser(),
	opencode: () => new OpencodeStreamParser(),
	qwen: () => new QwenStreamParser(),
	copilot: () => new CopilotStreamParser(),
	// Claude's stream shape, with their own differences (see claude-stream.ts).
	amp: () => new ClaudeStreamParser({name: 'amp'}),
	cursor: () => new ClaudeStreamParser({name: 'cursor'}),
} satisfies Record<string, () => StreamParser>;
type Cli = keyof typeof parsers;

function replay(cli: Cli, lines: string[], exit: Exit, stderr: string[] = []): {events: AgentEvent[]; verdict: AgentVerdict} {
	const parser: StreamParser = parsers[cli]();
	const events = lines.flatMap(line => parser.line(line));
	for (const line of stderr) parser.stderrLine?.(line);
	return {events, verdict: parser.finish(exit)};
}
const sample = (cli: Cli, name: string, exit: Exit, stderr: string[] = []) => replay(cli, sampleLines(name, cli), exit, stderr);

/**
 * The verdict each recorded run must get, with the exit the real CLI had (from
 * each scenario's `_sample_source`). A sample without an entry fails the test
 * below, so a new sample cannot go unreplayed.
 */
const expected: Record<Cli, Record<string, {exit: Exit; ok: boolean; reason: string | RegExp; limit?: boolean}>> = {
	claude: {
		success_tool_use: {exit: {exitCode: 0}, ok: true, reason: 'All done: created mock.txt'},
		error_max_turns: {exit: {exitCode: 1}, ok: false, reason: 'Reached maximum number of turns (1)'},
		api_error_401_after_10_retries: {exit: {exitCode: 1}, ok: false, reason: 'Invalid API key · Fix external API key'},
		not_logged_in: {exit: {exitCode: 1}, ok: false, reason: 'Not logged in · Please run /login'},
		partial_messages: {exit: {exitCode: 0}, ok: true, reason: 'All done: created mock.txt'},
		resume_same_session: {exit: {exitCode: 0}, ok: true, reason: 'All done: created mock.txt'},
	},
	codex: {
		success_tool_use: {exit: {exitCode: 0}, ok: true, reason: 'All done: created mock.txt'},
		resume: {exit: {exitCode: 0}, ok: true, reason: 'All done: created mock.txt'},
		fail_http_401: {exit: {exitCode: 1}, ok: false, reason: 'unexpected status 401 Unauthorized: invalid x-api-key, url: http://127.0.0.1:8787/v1/responses'},
		fail_http_400: {exit: {exitCode: 1}, ok: false, reason: /mock bad request/},
		builtin_openai_provider_ws_fallback: {exit: {exitCode: 0}, ok: true, reason: 'All done: created mock.txt'},
		// Killed by `timeout 300` (rc 124): the process never exited by itself.
		network_down_hangs: {
			exit: {signal: 'SIGTERM'},
			ok: false,
			reason: /^codex ended without turn\.completed or turn\.failed \(killed by SIGTERM\); last error: Reconnecting\.\.\. waiting for network/,
		},
	},
	gemini: {
		success_tool_use: {exit: {exitCode: 0}, ok: true, reason: 'All done: created mock.txt'},
		fail_http_401: {exit: {exitCode: 145}, ok: false, reason: /^\[API Error: .*invalid x-api-key/},
	},
	opencode: {
		success_tool_use: {exit: {exitCode: 0}, ok: true, reason: 'All done: created mock.txt'},
		fail_http_401: {exit: {exitCode: 1}, ok: false, reason: 'invalid x-api-key (HTTP 401)'},
	},
	qwen: {
		success_tool_use: {exit: {exitCode: 0}, ok: true, reason: 'All done: created mock.txt'},
		fail_http_401: {exit: {exitCode: 1}, ok: false, reason: '[API Error: 401 invalid x-api-key]'},
		max_session_turns_no_result: {exit: {exitCode: 53}, ok: false, reason: /^qwen reached its session turn limit, with no result event \(exit code 53\)/},
	},
	copilot: {
		success_tool_use: {exit: {exitCode: 0}, ok: true, reason: 'All done: created mock.txt'},
		tool_denied_without_allow_all: {
			exit: {exitCode: 0},
			ok: false,
			reason: /^tools were denied: .*Permission denied because no interactive user response was available/,
		},
		fail_http_401: {exit: {exitCode: 1}, ok: false, reason: /^Authentication failed with provider .*\(HTTP 401\)/},
	},
	amp: {
		success_tool_use: {exit: {exitCode: 0}, ok: true, reason: 'All done: created mock.txt'},
		error_approval_needed: {
			exit: {exitCode: 1},
			ok: false,
			reason: 'The following tools require user approval, which is not supported in stream JSON mode: Bash',
		},
	},
	cursor: {
		// The per-line scenarios of cursor.jsonl together are this one run.
		success_tool_use: {exit: {exitCode: 0}, ok: true, reason: 'All done: created mock.txt'},
	},
};

/** `<cli>.jsonl`: every scenario of that CLI, each after a `_sample_source` marker line. */
function scenarios(cli: Cli): Map<string, string[]> {
	const map = new Map<string, string[]>();
	let current: string[] | undefined;
	for (const line of readFileSync(fixture(`${cli}.jsonl`), 'utf8').split('\n')) {
		if (line.trim() === '') continue;
		if (line.startsWith('{"_sample_source"')) {
			const name = (JSON.parse(line) as {_scenario: string})._scenario;
			current = [];
			map.set(name, current);
		} else {
			current!.push(line);
		}
	}
	return map;
}

describe('every recorded sample', () => {
	for (const cli of Object.keys(parsers) as Cli[]) {
		it(`${cli}: each scenario file gets its verdict; none is a success unless the run was`, () => {
			const files = readdirSync(fixture(cli)).filter(file => file.endsWith('.jsonl'));
			expect(files.map(file => file.replace(/\.jsonl$/, '')).sort()).toEqual(Object.keys(expected[cli]).sort());
			for (const file of files) {
				const want = expected[cli][file.replace(/\.jsonl$/, '')]!;
				const {verdict} = sample(cli, file, want.exit);
				expect(verdict.ok, `${cli}/${file}`).toBe(want.ok);
				if (typeof want.reason === 'string') expect(verdict.reason, `${cli}/${file}`).toBe(want.reason);
				else expect(verdict.reason, `${cli}/${file}`).toMatch(want.reason);
				// None of the recorded failures is a usage limit (401s, 400s, turn limits, denials).
				expect(verdict.limit, `${cli}/${file}`).toBeUndefined();
			}
		});

		it(`${cli}.jsonl (all scenarios, with markers) holds exactly the scenario files`, () => {
			const all = scenarios(cli);
			if (cli === 'cursor') {
				// One line per documented event type; together, the one run.
				expect([...all.values()].flat()).toEqual(sampleLines('success_tool_use.jsonl', 'cursor'));
				return;
			}
			expect([...all.keys()].sort()).toEqual(Object.keys(expected[cli]).sort());
			for (const [name, lines] of all) expect(lines, `${cli}/${name}`).toEqual(sampleLines(`${name}.jsonl`, cli));
		});
	}

	it('the other output formats (-o json) are never read as a success by the stream parsers', () => {
		// gemini and qwen json are not one object per line; copilot's usage file is not a stream.
		expect(replay('gemini', sampleLines('json_output_format.json', 'gemini'), {exitCode: 0}).verdict.ok).toBe(false);
		expect(replay('qwen', sampleLines('json_output_format_is_an_ARRAY.json', 'qwen'), {exitCode: 0}).verdict.ok).toBe(false);
		expect(replay('copilot', sampleLines('usage_output_file.json', 'copilot'), {exitCode: 0}).verdict.ok).toBe(false);
		// claude's json format is the result event alone, on one line: the same verdict.
		const claude = replay('claude', sampleLines('json_output_format.json'), {exitCode: 0});
		expect(claude.verdict).toEqual({ok: true, reason: 'All done: created mock.txt', sessionId: 'e97672ba-4c51-4c38-8ff0-92a348883c55'});
		expect(claude.events.find(event => event.type === 'usage')).toEqual({type: 'usage', inputTokens: 2400, outputTokens: 74, costUsd: 0.00831});
	});
});

describe('claude', () => {
	it("resume: total_cost_usd is as reported (cumulative over the session), tokens are this run's", () => {
		const {events} = sample('claude', 'resume_same_session.jsonl', {exitCode: 0});
		expect(events).toEqual([
			{type: 'text', text: 'All done: created mock.txt'},
			{type: 'usage', inputTokens: 1200, outputTokens: 37, costUsd: 0.012465},
			{type: 'result', ok: true, message: 'All done: created mock.txt', sessionId: 'e97672ba-4c51-4c38-8ff0-92a348883c55'},
		]);
	});

	it('an error result with subtype "success" but is_error true is a failure, even with exit 0', () => {
		const {verdict} = sample('claude', 'api_error_401_after_10_retries.jsonl', {exitCode: 0});
		expect(verdict).toMatchObject({ok: false, reason: 'Invalid API key · Fix external API key'});
	});

	it('no result event: the reason quotes stderr (the root refusal prints only there)', () => {
		const {verdict} = replay('claude', [], {exitCode: 1}, ['--dangerously-skip-permissions cannot be used with root/sudo privileges for security reasons']);
		expect(verdict).toEqual({
			ok: false,
			reason:
				'agent ended without a result event (exit code 1); stderr: --dangerously-skip-permissions cannot be used with root/sudo privileges for security reasons',
		});
	});
});

describe('codex', () => {
	it('success_tool_use: the command (unwrapped from bash -lc), the message, usage, the thread id', () => {
		const {events, verdict} = sample('codex', 'success_tool_use.jsonl', {exitCode: 0});
		expect(events).toEqual([
			{type: 'tool', name: 'shell', detail: 'echo hello-from-mock > mock.txt && cat mock.txt'},
			{type: 'text', text: 'All done: created mock.txt'},
			{type: 'usage', inputTokens: 4800, outputTokens: 114},
			{type: 'result', ok: true, message: 'All done: created mock.txt', sessionId: '01a20b20-a32b-70c1-9dd2-d65e95be23ff'},
		]);
		expect(verdict).toEqual({ok: true, reason: 'All done: created mock.txt', sessionId: '01a20b20-a32b-70c1-9dd2-d65e95be23ff'});
	});

	it('non-fatal error events (reconnects, metadata warnings, WebSocket fallback) do not fail a run that completes', () => {
		const lines = sampleLines('builtin_openai_provider_ws_fallback.jsonl', 'codex');
		expect(lines.filter(line => line.includes('"type":"error"')).length).toBeGreaterThanOrEqual(6);
		const {events, verdict} = replay('codex', lines, {exitCode: 0});
		expect(verdict).toEqual({ok: true, reason: 'All done: created mock.txt', sessionId: '01a20b33-1efa-7e72-943d-1368c44f613f'});
		expect(events.map(event => event.type)).toEqual(['text', 'usage', 'result']);
	});

	it('fail_http_401: the retries are not the verdict, turn.failed is', () => {
		const {events, verdict} = sample('codex', 'fail_http_401.jsonl', {exitCode: 1});
		expect(events).toEqual([
			{
				type: 'result',
				ok: false,
				message: 'unexpected status 401 Unauthorized: invalid x-api-key, url: http://127.0.0.1:8787/v1/responses',
				sessionId: '01a20b25-7f60-7170-a1b5-cc7b60ba56b1',
			},
		]);
		expect(verdict.ok).toBe(false);
	});

	it('network down: error events only, no turn event, so a failure whatever the exit', () => {
		const lines = sampleLines('network_down_hangs.jsonl', 'codex');
		for (const exit of [{exitCode: 0}, {signal: 'SIGKILL'}]) {
			const {events, verdict} = replay('codex', lines, exit);
			expect(events).toEqual([]);
			expect(verdict.ok).toBe(false);
			expect(verdict.reason).toContain('last error: Reconnecting... waiting for network (Connection failed: error sending request)');
		}
	});

	it('a declined command makes a completed turn a failure', () => {
		const lines = sampleLines('success_tool_use.jsonl', 'codex').map(line =>
			line.replace('"exit_code":0,"status":"completed"', '"exit_code":null,"status":"declined"'),
		);
		expect(replay('codex', lines, {exitCode: 0}).verdict).toMatchObject({
			ok: false,
			reason: 'tools were denied: shell (echo hello-from-mock > mock.txt && cat mock.txt)',
		});
	});

	it('a completed turn with a non-zero exit is a failure', () => {
		expect(sample('codex', 'success_tool_use.jsonl', {exitCode: 1}).verdict).toMatchObject({
			ok: false,
			reason: 'agent reported success but exited with code 1',
		});
	});
});

describe('gemini', () => {
	it('success_tool_use: tool, the assistant chunks as one text, usage from stats, session id from init', () => {
		const {events, verdict} = sample('gemini', 'success_tool_use.jsonl', {exitCode: 0});
		expect(events).toEqual([
			{type: 'tool', name: 'run_shell_command', detail: 'echo hello-from-mock > mock.txt && cat mock.txt'},
			{type: 'text', text: 'All done: created mock.txt'},
			{type: 'usage', inputTokens: 6000, outputTokens: 80},
			{type: 'result', ok: true, message: 'All done: created mock.txt', sessionId: 'a2d9e36d-0712-4159-98f1-b57d934e02cc'},
		]);
		expect(verdict).toEqual({ok: true, reason: 'All done: created mock.txt', sessionId: 'a2d9e36d-0712-4159-98f1-b57d934e02cc'});
	});

	it('chunks of one answer are joined; a tool call between answers separates them', () => {
		const message = (content: string) => JSON.stringify({type: 'message', role: 'assistant', content, delta: true});
		const tool = JSON.stringify({type: 'tool_use', tool_name: 'read_file', tool_id: 't1', parameters: {file_path: 'a.ts'}});
		const result = JSON.stringify({type: 'result', status: 'success', stats: {input_tokens: 1, output_tokens: 2}});
		const {events, verdict} = replay('gemini', [message('Let me '), message('look.'), tool, message('Done: '), message('fixed a.ts'), result], {exitCode: 0});
		expect(events.filter(event => event.type !== 'usage' && event.type !== 'result')).toEqual([
			{type: 'text', text: 'Let me look.'},
			{type: 'tool', name: 'read_file', detail: 'a.ts'},
			{type: 'text', text: 'Done: fixed a.ts'},
		]);
		expect(verdict).toEqual({ok: true, reason: 'Done: fixed a.ts'});
	});

	it('the 401 (exit 145) is an error result; without the result line, the exit code still names it', () => {
		expect(sample('gemini', 'fail_http_401.jsonl', {exitCode: 145}).verdict.ok).toBe(false);
		const lines = sampleLines('fail_http_401.jsonl', 'gemini').slice(0, -1);
		expect(replay('gemini', lines, {exitCode: 145}).verdict).toEqual({
			ok: false,
			reason: 'gemini API error (HTTP 401), with no result event (exit code 145)',
			sessionId: '3cd1d135-d6f8-4762-962e-bde2c05957a7',
		});
	});

	it('--yolo silently dropped in an untrusted folder: a failure, whatever the result says', () => {
		const {verdict} = sample('gemini', 'success_tool_use.jsonl', {exitCode: 0}, [
			'Approval mode overridden to "default" because the current folder is not trusted.',
		]);
		expect(verdict).toMatchObject({ok: false, reason: expect.stringMatching(/^gemini ran without --yolo \(the folder was not trusted\)/)});
	});
});

describe('opencode', () => {
	it('success_tool_use: no result event; the last step_finish "stop" and exit 0 decide; usage per step', () => {
		const {events, verdict} = sample('opencode', 'success_tool_use.jsonl', {exitCode: 0});
		expect(events).toEqual([
			{type: 'tool', name: 'bash', detail: 'echo hello-from-mock > mock.txt && cat mock.txt'},
			{type: 'usage', inputTokens: 1800, outputTokens: 42, costUsd: 0},
			{type: 'text', text: 'All done: created mock.txt'},
			{type: 'usage', inputTokens: 1800, outputTokens: 42, costUsd: 0},
		]);
		expect(verdict).toEqual({ok: true, reason: 'All done: created mock.txt', sessionId: 'ses_df4d51954ffewSoJCxr3K3xA3H'});
	});

	it('a run that stops after a tool step (no final "stop") is a failure even with exit 0', () => {
		const lines = sampleLines('success_tool_use.jsonl', 'opencode').slice(0, 3);
		expect(replay('opencode', lines, {exitCode: 0}).verdict).toMatchObject({
			ok: false,
			reason: 'opencode ended without finishing its turn (its last step ended with "tool-calls") (exit code 0)',
		});
		expect(replay('opencode', [], {exitCode: 0}).verdict).toEqual({
			ok: false,
			reason: 'opencode ended without finishing its turn (no step finished) (exit code 0)',
		});
	});

	it('fail_http_401: the error event is the reason; exit 0 would not save it', () => {
		expect(sample('opencode', 'fail_http_401.jsonl', {exitCode: 0}).verdict).toEqual({
			ok: false,
			reason: 'invalid x-api-key (HTTP 401)',
			sessionId: 'ses_df4d4c388ffeqSUm52RSbEWDwr',
		});
	});

	it('a permission auto-rejected (no --auto) is a denial, a failure', () => {
		const lines = sampleLines('success_tool_use.jsonl', 'opencode');
		const withRejection = [lines[0]!, '! permission requested: external_directory (/etc/*); auto-rejecting', ...lines.slice(1)];
		expect(replay('opencode', withRejection, {exitCode: 0}).verdict).toMatchObject({ok: false, reason: 'tools were denied: external_directory (/etc/*)'});
	});

	it('a non-zero exit with a finished turn is a failure', () => {
		expect(sample('opencode', 'success_tool_use.jsonl', {exitCode: 1}).verdict).toMatchObject({ok: false, reason: 'opencode failed (exit code 1)'});
	});
});

describe('qwen', () => {
	it('success_tool_use: Claude-shaped, no cost reported', () => {
		const {events, verdict} = sample('qwen', 'success_tool_use.jsonl', {exitCode: 0});
		expect(events).toEqual([
			{type: 'tool', name: 'run_shell_command', detail: 'echo hello-from-mock > mock.txt && cat mock.txt'},
			{type: 'text', text: 'All done: created mock.txt'},
			{type: 'usage', inputTokens: 3600, outputTokens: 84},
			{type: 'result', ok: true, message: 'All done: created mock.txt', sessionId: '53aa8c27-c548-4bbd-9990-673d83f2b442'},
		]);
		expect(verdict.ok).toBe(true);
	});

	it('max session turns: no result event at all, exit 53, the reason from stderr', () => {
		const {events, verdict} = sample('qwen', 'max_session_turns_no_result.jsonl', {exitCode: 53}, [
			'Reached max session turns for this session. Increase the number of turns by specifying maxSessionTurns in settings.json.',
		]);
		expect(events).toEqual([{type: 'tool', name: 'run_shell_command', detail: 'echo hello-from-mock > mock.txt && cat mock.txt'}]);
		expect(verdict).toEqual({
			ok: false,
			reason:
				'qwen reached its session turn limit, with no result event (exit code 53); stderr: Reached max session turns for this session. Increase the number of turns by specifying maxSessionTurns in settings.json.',
			sessionId: 'efc1631b-6552-462d-996c-1d244c6d1394',
		});
		// Exit 0 without a result is still no success.
		expect(sample('qwen', 'max_session_turns_no_result.jsonl', {exitCode: 0}).verdict.ok).toBe(false);
	});

	it('the 401: error_during_execution with error.message', () => {
		expect(sample('qwen', 'fail_http_401.jsonl', {exitCode: 1}).verdict).toEqual({
			ok: false,
			reason: '[API Error: 401 invalid x-api-key]',
			sessionId: '16109932-4aaa-46e0-90cc-c72a4fdc4f12',
		});
	});
});

describe('copilot', () => {
	it('success_tool_use: the tool, the final message (toolRequests empty), no usage in the stream', () => {
		const {events, verdict} = sample('copilot', 'success_tool_use.jsonl', {exitCode: 0});
		expect(events).toEqual([
			{type: 'tool', name: 'bash', detail: 'echo hello-from-mock > mock.txt && cat mock.txt'},
			{type: 'text', text: 'All done: created mock.txt'},
			{type: 'result', ok: true, message: 'All done: created mock.txt', sessionId: '36585c63-78e8-4b13-adc9-292c61c216eb'},
		]);
		expect(verdict).toEqual({ok: true, reason: 'All done: created mock.txt', sessionId: '36585c63-78e8-4b13-adc9-292c61c216eb'});
	});

	it('a tool denied without --allow-all exits 0 with exitCode 0: still a failure', () => {
		const {events, verdict} = sample('copilot', 'tool_denied_without_allow_all.jsonl', {exitCode: 0});
		expect(sampleLines('tool_denied_without_allow_all.jsonl', 'copilot').at(-1)).toContain('"exitCode":0');
		expect(events.at(-1)).toMatchObject({type: 'result', ok: false});
		expect(verdict.ok).toBe(false);
	});

	it('the 401: session.error is the reason', () => {
		const {verdict} = sample('copilot', 'fail_http_401.jsonl', {exitCode: 1});
		expect(verdict.reason).toContain('Check your COPILOT_PROVIDER_API_KEY');
	});
});

describe('amp and cursor (Claude-shaped)', () => {
	it('amp: the error string of an error result is the reason; no cost in the stream', () => {
		const {events} = sample('amp', 'success_tool_use.jsonl', {exitCode: 0});
		expect(events).toEqual([
			{type: 'tool', name: 'Bash', detail: 'echo hello > mock.txt'},
			{type: 'text', text: 'All done: created mock.txt'},
			{type: 'usage', inputTokens: 0, outputTokens: 0},
			{type: 'result', ok: true, message: 'All done: created mock.txt', sessionId: 'T-7f3c2a10-4b5e-4c6d-9e8f-0123456789ab'},
		]);
	});

	it('cursor: tool_call lines become tool events; camelCase usage is read', () => {
		const {events} = sample('cursor', 'success_tool_use.jsonl', {exitCode: 0});
		expect(events).toEqual([
			{type: 'tool', name: 'shell', detail: 'ls -1'},
			{type: 'text', text: 'All done: created mock.txt'},
			{type: 'usage', inputTokens: 12000, outputTokens: 40},
			{type: 'result', ok: true, message: 'All done: created mock.txt', sessionId: '7a9963b5-a319-41aa-938f-8a1f9171c3d8'},
		]);
	});
});
