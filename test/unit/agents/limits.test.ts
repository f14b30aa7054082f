/**
 * Usage and rate limits: recognised from each CLI's real wording, told apart
 * from other failures, with the reset time the CLI gave.
 */
import {describe, expect, it} from 'vitest';
import type {AgentVerdict, StreamParser} from '../../../source/agents/adapter.js';
import {ClaudeStreamParser} from '../../../source/agents/claude-stream.js';
import {CodexStreamParser} from '../../../source/agents/codex-stream.js';
import {CopilotStreamParser} from '../../../source/agents/copilot-stream.js';
import {GeminiStreamParser} from '../../../source/agents/gemini-stream.js';
import {detectLimit, isLimitText, limitWhen, retryAfterHeader} from '../../../source/agents/limits.js';
import {OpencodeStreamParser} from '../../../source/agents/opencode-stream.js';
import {QwenStreamParser} from '../../../source/agents/qwen-stream.js';
import {sampleLines} from './helpers.js';

// 2026-11-24 20:00 UTC: 21:00 in Berlin (CET), 15:00 in New York (EST).
const NOW = new Date('2026-11-24T20:00:00Z');
const clock = () => NOW;

function run(parser: StreamParser, lines: string[], exit: {exitCode?: number; signal?: string} = {exitCode: 1}, stderr: string[] = []): AgentVerdict {
	for (const line of lines) parser.line(line);
	for (const line of stderr) parser.stderrLine?.(line);
	return parser.finish(exit);
}

/** The next local wall-clock time h:m after NOW, computed with plain Date (the parser uses Intl). */
function nextLocal(hours: number, minutes: number): string {
	const date = new Date(NOW);
	date.setHours(hours, minutes, 0, 0);
	if (date.getTime() <= NOW.getTime()) date.setDate(date.getDate() + 1);
	return date.toISOString();
}

describe('limitWhen: when the CLI says the limit lifts', () => {
	it('claude: a time of day in a named zone is its next occurrence there', () => {
		expect(limitWhen("You've hit your limit · resets 9am (Europe/Berlin)", NOW)).toEqual({resetAt: '2026-11-25T08:00:00.000Z'});
		expect(limitWhen("You've hit your limit · resets 1:30am (Asia/Dhaka)", NOW)).toEqual({resetAt: '2026-11-25T19:30:00.000Z'});
		// 10pm Berlin is still ahead today.
		expect(limitWhen("You've hit your limit · resets 10pm (Europe/Berlin)", NOW)).toEqual({resetAt: '2026-11-24T21:00:00.000Z'});
		expect(limitWhen('Claude usage limit reached. Your limit will reset at 3pm (America/Bogota).', NOW)).toEqual({resetAt: '2026-11-25T20:00:00.000Z'});
	});

	it('claude: a date and time in a named zone, across a DST change', () => {
		// Recife has no DST (UTC-3); New York is on EDT (UTC-4) on Apr 23.
		expect(limitWhen("You've hit your limit · resets Apr 23 at 4pm (America/Recife)", NOW)).toEqual({resetAt: '2027-04-23T19:00:00.000Z'});
		expect(limitWhen("You've hit your limit · resets Apr 23 at 4pm (America/New_York)", NOW)).toEqual({resetAt: '2027-04-23T20:00:00.000Z'});
		expect(limitWhen("You've hit your limit · resets Nov 30 at 4pm (America/New_York)", NOW)).toEqual({resetAt: '2026-11-30T21:00:00.000Z'});
	});

	it('claude, older builds: the epoch after the pipe', () => {
		expect(limitWhen('Claude AI usage limit reached|1762952400', NOW)).toEqual({resetAt: '2025-11-12T13:00:00.000Z'});
	});

	it('codex: local times, with and without a date (codex formats them in the local zone)', () => {
		expect(limitWhen("You've hit your usage limit. To get more access now, send a request to your admin or try again at 12:16 PM.", NOW)).toEqual({
			resetAt: nextLocal(12, 16),
		});
		expect(
			limitWhen(
				"You've hit your usage limit. Upgrade to Plus to continue using Codex (https://chatgpt.com/explore/plus), or try again at Jul 5th, 2027 8:19 PM.",
				NOW,
			),
		).toEqual({
			resetAt: new Date(2027, 6, 5, 20, 19).toISOString(),
		});
	});

	it('waits: codex days/hours/minutes, gemini 2h52m39s and 23.5s, Google retryDelay, milliseconds', () => {
		expect(
			limitWhen("You've hit your usage limit. Upgrade to Pro (https://openai.com/chatgpt/pricing) or try again in 2 days 17 hours 14 minutes.", NOW),
		).toEqual({
			retryAfterSeconds: 2 * 86_400 + 17 * 3600 + 14 * 60,
		});
		expect(limitWhen('You have exhausted your capacity on this model. Your quota will reset after 2h52m39s.', NOW)).toEqual({
			retryAfterSeconds: 2 * 3600 + 52 * 60 + 39,
		});
		expect(limitWhen('You exceeded your current quota, please check your plan and billing details. Please retry in 23.5s.', NOW)).toEqual({
			retryAfterSeconds: 24,
		});
		expect(
			limitWhen(
				'Rate limit reached for gpt-5 in organization org-x on tokens per min (TPM): Limit 30000, Used 29000, Requested 2000. Please try again in 250ms.',
				NOW,
			),
		).toEqual({retryAfterSeconds: 1});
		expect(limitWhen('{"error":{"code":429,"details":[{"@type":"type.googleapis.com/google.rpc.RetryInfo","retryDelay":"34.07s"}]}}', NOW)).toEqual({
			retryAfterSeconds: 35,
		});
	});

	it('nothing usable: an empty answer, not a guess', () => {
		expect(limitWhen("You've hit your usage limit. Try again later.", NOW)).toEqual({});
		expect(limitWhen('Rate limit exceeded. Please retry after a brief wait.', NOW)).toEqual({});
		expect(limitWhen('Resource has been exhausted (e.g. check quota).', NOW)).toEqual({});
		expect(limitWhen('resets 5', NOW)).toEqual({});
	});

	it('retry-after headers: seconds or an HTTP date', () => {
		expect(retryAfterHeader('30', NOW)).toEqual({retryAfterSeconds: 30});
		expect(retryAfterHeader('Wed, 25 Nov 2026 08:00:00 GMT', NOW)).toEqual({resetAt: '2026-11-25T08:00:00.000Z'});
		expect(retryAfterHeader('soon', NOW)).toBeUndefined();
	});
});

describe('isLimitText: limits, and only limits', () => {
	it("knows each CLI's wording", () => {
		for (const text of [
			"You've hit your limit · resets 4pm (Asia/Kuala_Lumpur)",
			"You've hit your session limit · resets 9am (Europe/Berlin)",
			'Claude AI usage limit reached|1762952400',
			'API Error: Request rejected (429) · The usage limit has been reached',
			"You've hit your usage limit. Try again later.",
			'You hit your spend cap set in your workspace. Increase your spend cap to continue.',
			'Your workspace is out of credits. Add credits to continue.',
			'exceeded retry limit, last status: 429 Too Many Requests',
			'[API Error: You have exhausted your capacity on this model. Your quota will reset after 1h49m8s.]',
			'[API Error: {"error":{"code":429,"message":"Resource has been exhausted (e.g. check quota).","status":"RESOURCE_EXHAUSTED"}}]',
			'Rate limit exceeded. Please retry after a brief wait.',
			"Sorry, you've hit a rate limit that restricts the number of Copilot model requests you can make within a specific time period. Please try again in 58 hours.",
			"You've hit your global rate limit. Please upgrade your plan or wait 6 seconds for your limit to reset.",
		]) {
			expect(isLimitText(text), text).toBe(true);
		}
	});

	it('does not mistake other failures for limits', () => {
		for (const text of [
			'Invalid API key · Fix external API key',
			'Not logged in · Please run /login',
			'Reached maximum number of turns (1)',
			'unexpected status 401 Unauthorized: invalid x-api-key, url: http://127.0.0.1:8787/v1/responses',
			'exceeded retry limit, last status: 500 Internal Server Error',
			'Reached max session turns for this session.',
			'[API Error: 401 invalid x-api-key]',
			'prompt is too long: 210000 tokens > 200000 maximum',
		]) {
			expect(isLimitText(text), text).toBe(false);
		}
		expect(detectLimit(['Invalid API key'], {status: 401})).toBeUndefined();
		expect(detectLimit(['whatever'], {status: 429})).toEqual({});
	});
});

describe('each parser reports a limit as such, with the reset time', () => {
	it('claude: rate_limit_event "rejected", api_error_status 429 and "resets 9am (Europe/Berlin)"', () => {
		const verdict = run(new ClaudeStreamParser({now: clock}), sampleLines('claude_session_limit.jsonl', 'limits'));
		expect(verdict).toEqual({
			ok: false,
			reason: "You've hit your session limit · resets 9am (Europe/Berlin)",
			limit: {resetAt: '2026-11-25T08:00:00.000Z'},
			sessionId: 'a74d2edb-d7df-475f-ad7f-2c89def2ca88',
		});
	});

	it('claude: a resetsAt on the rate_limit_event wins over the text', () => {
		const lines = sampleLines('claude_session_limit.jsonl', 'limits').map(line =>
			line.replace('"rateLimitType":"five_hour"', '"rateLimitType":"five_hour","resetsAt":1790000000'),
		);
		expect(run(new ClaudeStreamParser({now: clock}), lines).limit).toEqual({resetAt: '2026-09-21T14:13:20.000Z'});
	});

	it('claude: api_error_status 429 alone, or a rejected rate_limit_event alone, is a limit; a 401 is not', () => {
		const result = (status: number | null, text: string) =>
			JSON.stringify({type: 'result', subtype: 'success', is_error: true, api_error_status: status, result: text, total_cost_usd: 0, usage: {}});
		// Wording no pattern knows: only the structured signals say "limit".
		expect(isLimitText('Request failed')).toBe(false);
		expect(run(new ClaudeStreamParser({now: clock}), [result(429, 'Request failed')]).limit).toEqual({});
		expect(run(new ClaudeStreamParser({now: clock}), [result(500, 'Request failed')]).limit).toBeUndefined();
		const rejected = JSON.stringify({type: 'rate_limit_event', rate_limit_info: {status: 'rejected', resetsAt: 1790000000}});
		expect(run(new ClaudeStreamParser({now: clock}), [rejected, result(null, 'Request failed')]).limit).toEqual({resetAt: '2026-09-21T14:13:20.000Z'});
		const allowed = JSON.stringify({type: 'rate_limit_event', rate_limit_info: {status: 'allowed', resetsAt: 1790000000}});
		expect(run(new ClaudeStreamParser({now: clock}), [allowed, result(null, 'Request failed')]).limit).toBeUndefined();
		expect(run(new ClaudeStreamParser({now: clock}), sampleLines('api_error_401_after_10_retries.jsonl')).limit).toBeUndefined();
	});

	it('codex: turn.failed with the usage-limit message', () => {
		const verdict = run(new CodexStreamParser({now: clock}), sampleLines('codex_usage_limit.jsonl', 'limits'));
		expect(verdict).toMatchObject({ok: false, limit: {resetAt: nextLocal(15, 28)}, sessionId: '01a20b40-5d21-7c55-9a1e-3f2d6b7c8e90'});
		expect(verdict.reason).toMatch(/^You've hit your usage limit\./);
	});

	it('codex: 429 reconnect notices followed by a completed turn are no limit and no failure', () => {
		const lines = sampleLines('success_tool_use.jsonl', 'codex');
		const retry = JSON.stringify({
			type: 'error',
			message: 'Reconnecting... 1/5 (unexpected status 429 Too Many Requests: Rate limit reached, url: https://api.openai.com/v1/responses)',
		});
		const verdict = run(new CodexStreamParser({now: clock}), [...lines.slice(0, 3), retry, ...lines.slice(3)], {exitCode: 0});
		expect(verdict).toMatchObject({ok: true});
		expect(verdict.limit).toBeUndefined();
	});

	it('gemini: an error result with the quota message; and a bare exit 173 (429 mod 256)', () => {
		expect(run(new GeminiStreamParser({now: clock}), sampleLines('gemini_quota.jsonl', 'limits'))).toMatchObject({
			ok: false,
			limit: {retryAfterSeconds: 10_359},
		});
		expect(run(new GeminiStreamParser({now: clock}), [], {exitCode: 173})).toMatchObject({
			ok: false,
			reason: 'gemini API error (HTTP 429), with no result event (exit code 173)',
			limit: {},
		});
		expect(run(new GeminiStreamParser({now: clock}), [], {exitCode: 145}).limit).toBeUndefined();
	});

	it('opencode: statusCode 429 and its retry-after header', () => {
		expect(run(new OpencodeStreamParser({now: clock}), sampleLines('opencode_rate_limit.jsonl', 'limits'))).toEqual({
			ok: false,
			reason: 'Rate limit exceeded. Please retry after a brief wait. (HTTP 429)',
			limit: {retryAfterSeconds: 30},
			sessionId: 'ses_df4d4c388ffeqSUm52RSbEWDwr',
		});
	});

	it('qwen: an error result quoting a 429', () => {
		const lines = sampleLines('fail_http_401.jsonl', 'qwen').map(line => line.replaceAll('401 invalid x-api-key', '429 Too Many Requests: rate limit reached'));
		expect(run(new QwenStreamParser({now: clock}), lines)).toMatchObject({ok: false, limit: {}});
	});

	it('copilot: a session.error with its rate-limit wording', () => {
		const withError = (message: string) =>
			sampleLines('fail_http_401.jsonl', 'copilot').map(line =>
				line.startsWith('{"type":"session.error"') ? JSON.stringify({type: 'session.error', data: {errorType: 'rate_limit', message, statusCode: 429}}) : line,
			);
		const hours = withError(
			"Sorry, you've hit a rate limit that restricts the number of Copilot model requests you can make within a specific time period. Please try again in 2 hours. Please review our Terms of Service (https://docs.github.com/site-policy/github-terms/github-terms-of-service).",
		);
		expect(run(new CopilotStreamParser({now: clock}), hours)).toMatchObject({ok: false, limit: {retryAfterSeconds: 7200}});
		const minutes = withError('Sorry, you have been rate-limited. Please wait 2 minutes before trying again or consider switching to Auto.');
		expect(run(new CopilotStreamParser({now: clock}), minutes)).toMatchObject({ok: false, limit: {retryAfterSeconds: 120}});
		expect(run(new CopilotStreamParser({now: clock}), sampleLines('fail_http_401.jsonl', 'copilot')).limit).toBeUndefined();
	});
});
