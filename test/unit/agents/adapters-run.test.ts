/**
 * Each CLI adapter through the real runner, with a fake CLI named like the
 * real binary (test/fixtures/agents/bin/<cli>, via the `bin` override) that
 * replays a recorded sample: the process is real, only the model is not.
 */
import {readFileSync, writeFileSync} from 'node:fs';
import path from 'node:path';
import {describe, expect, it} from 'vitest';
import type {AgentAdapter, AgentEvent} from '../../../source/agents/adapter.js';
import {claude as claudeCli} from '../../../source/agents/claude.js';
import {codex as codexCli} from '../../../source/agents/codex.js';
import {copilot as copilotCli} from '../../../source/agents/copilot.js';
import {gemini as geminiCli} from '../../../source/agents/gemini.js';
import {opencode as opencodeCli} from '../../../source/agents/opencode.js';
import {runAgent} from '../../../source/agents/runner.js';
import {attemptInput, baseEnv, fixture, tempDir} from './helpers.js';

const PROMPT = `- a prompt that starts like an option\nwith "quotes", $(not a subshell) and  two  spaces\n`;

type Record = {args: string[]; cwd: string; stdin: string; env: {[key: string]: string}};

/** Runs the adapter on a fake that replays `sample` (none: prints nothing on stdout). */
async function run(adapter: AgentAdapter, sample: string | undefined, env: {[key: string]: string} = {}, timeoutMs = 20_000) {
	const worktree = tempDir();
	const promptFile = path.join(worktree, 'prompt.md');
	writeFileSync(promptFile, PROMPT);
	const recordFile = path.join(worktree, 'record.json');
	const events: AgentEvent[] = [];
	const result = await runAgent({
		adapter,
		input: attemptInput(worktree, {promptFile}),
		env: {...baseEnv(), ...(sample ? {FAKE_SAMPLE: fixture(sample)} : {}), FAKE_RECORD: recordFile, ...env},
		logFile: path.join(worktree, 'logs', 'attempt.log'),
		timeoutMs,
		killGraceMs: 500,
		onEvent: event => events.push(event),
	});
	const record = JSON.parse(readFileSync(recordFile, 'utf8')) as Record;
	return {result, events, record, worktree};
}

describe('claude through the runner', () => {
	const claude = () => claudeCli.adapter({bin: fixture('bin/claude'), model: 'sonnet'});

	it('a recorded success: ok, usage and cost, session id; argv intact, cwd the worktree, stdin /dev/null', async () => {
		const {result, record, worktree} = await run(claude(), 'claude/success_tool_use.jsonl');
		expect(result).toMatchObject({ok: true, reason: 'All done: created mock.txt', exitCode: 0, sessionId: 'cec09485-cc69-4868-a628-8f8c6b673b46'});
		expect(result.usage).toEqual({inputTokens: 2400, outputTokens: 74, costUsd: 0.00831});
		expect(result.limit).toBeUndefined();
		expect(record.args.slice(-2)).toEqual(['--', PROMPT]);
		expect(record.args).toContain('--dangerously-skip-permissions');
		expect(record.cwd).toBe(worktree);
		expect(record.stdin).toBe('/dev/null');
	});

	it('a recorded 401 (is_error with subtype success, exit 1): a failure, no limit', async () => {
		const {result} = await run(claude(), 'claude/api_error_401_after_10_retries.jsonl', {FAKE_EXIT: '1'});
		expect(result).toMatchObject({ok: false, reason: 'Invalid API key · Fix external API key', exitCode: 1});
		expect(result.limit).toBeUndefined();
	});

	it('a session limit: a failure that carries the limit, for the engine to park the ticket', async () => {
		const {result} = await run(claude(), 'limits/claude_session_limit.jsonl', {FAKE_EXIT: '1'});
		expect(result).toMatchObject({ok: false, reason: "You've hit your session limit · resets 9am (Europe/Berlin)"});
		expect(result.limit?.resetAt).toMatch(/^\d{4}-\d\d-\d\dT0[78]:00:00\.000Z$/);
		expect(Date.parse(result.limit!.resetAt!)).toBeGreaterThan(Date.now());
	});

	it('a start refused on stderr only (root): the reason quotes it', async () => {
		const {result} = await run(claude(), undefined, {
			FAKE_EXIT: '1',
			FAKE_STDERR: '--dangerously-skip-permissions cannot be used with root/sudo privileges for security reasons',
		});
		expect(result).toMatchObject({
			ok: false,
			reason:
				'agent ended without a result event (exit code 1); stderr: --dangerously-skip-permissions cannot be used with root/sudo privileges for security reasons',
		});
	});
});

describe('codex through the runner', () => {
	const codex = () => codexCli.adapter({bin: fixture('bin/codex')});

	it('a recorded success with non-fatal error events: ok, tokens, the thread id', async () => {
		const {result, events, record} = await run(codex(), 'codex/builtin_openai_provider_ws_fallback.jsonl');
		expect(result).toMatchObject({ok: true, reason: 'All done: created mock.txt', sessionId: '01a20b33-1efa-7e72-943d-1368c44f613f'});
		expect(result.usage).toEqual({inputTokens: 4800, outputTokens: 114, costUsd: 0});
		expect(events.map(event => event.type)).toEqual(['text', 'usage', 'result']);
		expect(record.args.slice(0, 4)).toEqual(['exec', '--json', '--dangerously-bypass-approvals-and-sandbox', '--skip-git-repo-check']);
		expect(record.args.slice(-2)).toEqual(['--', PROMPT]);
		expect(record.stdin).toBe('/dev/null');
	});

	it('a recorded 401 (turn.failed, exit 1): a failure', async () => {
		const {result} = await run(codex(), 'codex/fail_http_401.jsonl', {FAKE_EXIT: '1'});
		expect(result).toMatchObject({ok: false, exitCode: 1, reason: expect.stringMatching(/^unexpected status 401 Unauthorized/)});
	});

	it('network down: codex never exits; the timeout kills it and the run fails', async () => {
		const {result} = await run(codex(), 'codex/network_down_hangs.jsonl', {FAKE_HANG: '1'}, 1500);
		expect(result).toMatchObject({ok: false, timedOut: true, reason: 'timed out after 1.5s; the process group was killed'});
	});

	it('a usage limit: the limit is passed on', async () => {
		const {result} = await run(codex(), 'limits/codex_usage_limit.jsonl', {FAKE_EXIT: '1'});
		expect(result.ok).toBe(false);
		expect(result.limit?.resetAt).toBeDefined();
	});
});

describe('gemini through the runner', () => {
	const gemini = () => geminiCli.adapter({bin: fixture('bin/gemini'), model: 'gemini-2.5-pro'});

	it('a recorded success: ok, the trust env set, the prompt as --prompt=', async () => {
		const {result, record} = await run(gemini(), 'gemini/success_tool_use.jsonl');
		expect(result).toMatchObject({
			ok: true,
			reason: 'All done: created mock.txt',
			sessionId: 'a2d9e36d-0712-4159-98f1-b57d934e02cc',
			lastText: 'All done: created mock.txt',
		});
		expect(result.usage).toEqual({inputTokens: 6000, outputTokens: 80, costUsd: 0});
		expect(record.env).toEqual({GEMINI_CLI_TRUST_WORKSPACE: 'true'});
		expect(record.args).toEqual(expect.arrayContaining(['--yolo', '--skip-trust', `--prompt=${PROMPT}`]));
		expect(record.stdin).toBe('/dev/null');
	});

	it('the recorded 401 (exit 145): a failure', async () => {
		const {result} = await run(gemini(), 'gemini/fail_http_401.jsonl', {FAKE_EXIT: '145'});
		expect(result).toMatchObject({ok: false, exitCode: 145, reason: expect.stringMatching(/^\[API Error: .*invalid x-api-key/)});
	});

	it('--yolo dropped for an untrusted folder (stderr): a failure although the stream says success', async () => {
		const {result} = await run(gemini(), 'gemini/success_tool_use.jsonl', {
			FAKE_STDERR: 'Approval mode overridden to "default" because the current folder is not trusted.',
		});
		expect(result).toMatchObject({ok: false, reason: expect.stringMatching(/^gemini ran without --yolo/)});
	});
});

describe('copilot through the runner', () => {
	const copilot = () => copilotCli.adapter({bin: fixture('bin/copilot'), model: 'gpt-4.1'});

	it('a recorded success: ok, auto-update off, the prompt as --prompt=, stdin closed', async () => {
		const {result, record} = await run(copilot(), 'copilot/success_tool_use.jsonl');
		expect(result).toMatchObject({ok: true, reason: 'All done: created mock.txt', lastText: 'All done: created mock.txt'});
		expect(result.sessionId).toBeDefined();
		expect(record.env).toEqual({COPILOT_AUTO_UPDATE: 'false'});
		expect(record.args).toEqual(expect.arrayContaining(['--allow-all', '--no-auto-update', '--model', 'gpt-4.1', `--prompt=${PROMPT}`]));
		expect(record.stdin).toBe('/dev/null');
	});

	it('a tool denied (exit 0): a failure naming it', async () => {
		const {result} = await run(copilot(), 'copilot/tool_denied_without_allow_all.jsonl');
		expect(result).toMatchObject({ok: false, reason: expect.stringMatching(/^tools were denied: /)});
	});
});

describe('opencode through the runner', () => {
	const opencode = () => opencodeCli.adapter({bin: fixture('bin/opencode'), model: 'mock/mock-model'});

	it('a recorded success (no result event): ok, per-step usage summed, the words rejoin into the prompt', async () => {
		const {result, record} = await run(opencode(), 'opencode/success_tool_use.jsonl');
		expect(result).toMatchObject({ok: true, reason: 'All done: created mock.txt', sessionId: 'ses_df4d51954ffewSoJCxr3K3xA3H'});
		expect(result.usage).toEqual({inputTokens: 3600, outputTokens: 84, costUsd: 0});
		const words = record.args.slice(record.args.indexOf('--') + 1);
		expect(words.join(' ')).toBe(PROMPT);
		expect(record.env).toEqual({OPENCODE_DISABLE_AUTOUPDATE: '1'});
		expect(record.stdin).toBe('/dev/null');
	});

	it('the recorded 401 (exit 1): a failure', async () => {
		const {result} = await run(opencode(), 'opencode/fail_http_401.jsonl', {FAKE_EXIT: '1'});
		expect(result).toMatchObject({ok: false, exitCode: 1, reason: 'invalid x-api-key (HTTP 401)'});
	});

	it('a success stream cut short, exit 0: a failure', async () => {
		const worktree = tempDir();
		const cut = path.join(worktree, 'cut.jsonl');
		writeFileSync(cut, readFileSync(fixture('opencode/success_tool_use.jsonl'), 'utf8').split('\n').slice(0, 3).join('\n'));
		const {result} = await run(opencode(), undefined, {FAKE_SAMPLE: cut});
		expect(result).toMatchObject({ok: false, exitCode: 0, reason: expect.stringMatching(/^opencode ended without finishing its turn/)});
	});
});

describe('the runner and adapters', () => {
	it('a prompt file that cannot be read fails the attempt with the reason, without throwing', async () => {
		const worktree = tempDir();
		const result = await runAgent({
			adapter: claudeCli.adapter({bin: fixture('bin/claude')}),
			input: attemptInput(worktree, {promptFile: path.join(worktree, 'gone.md')}),
			env: baseEnv(),
			logFile: path.join(worktree, 'a.log'),
			timeoutMs: 5000,
		});
		expect(result).toMatchObject({ok: false, reason: expect.stringMatching(/^could not build the claude command: cannot read the prompt file .*gone\.md/)});
	});
});
