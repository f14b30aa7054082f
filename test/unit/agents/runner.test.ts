import {existsSync, readFileSync, writeFileSync} from 'node:fs';
import path from 'node:path';
import {describe, expect, it} from 'vitest';
import type {AgentEvent} from '../../../source/agents/adapter.js';
import {ClaudeStreamParser} from '../../../source/agents/claude-stream.js';
import {CommandAdapter} from '../../../source/agents/command.js';
import {runAgent} from '../../../source/agents/runner.js';
import {TextStreamParser} from '../../../source/agents/text-stream.js';
import {alive, attemptInput, baseEnv, eventually, fixedAdapter, fixture, sampleLines, tempDir} from './helpers.js';

const text = () => new TextStreamParser();
const claude = () => new ClaudeStreamParser();

describe('runAgent', () => {
	it('streams a fake agent to the log and the parser: chunks split mid-line, last line without newline', async () => {
		const work = tempDir();
		const logFile = path.join(work, 'logs/T-1/1.log');
		const events: AgentEvent[] = [];
		let spawned: number | undefined;
		const result = await runAgent({
			adapter: fixedAdapter({file: fixture('replay.mjs'), args: [fixture('claude/success_tool_use.jsonl'), '0', '7']}, claude),
			input: attemptInput(work),
			env: baseEnv(),
			logFile,
			timeoutMs: 20_000,
			onEvent: event => events.push(event),
			onSpawn: pid => (spawned = pid),
		});
		expect(result).toMatchObject({ok: true, reason: 'All done: created mock.txt', exitCode: 0, timedOut: false, lastText: 'All done: created mock.txt'});
		expect(result.usage).toEqual({inputTokens: 2400, outputTokens: 74, costUsd: 0.00831});
		expect(result.pid).toBeGreaterThan(1);
		expect(spawned).toBe(result.pid);
		expect(events.map(e => e.type)).toEqual(['tool', 'text', 'usage', 'result']);
		expect(events[0]).toEqual({type: 'tool', name: 'Bash', detail: 'echo hello-from-mock > mock.txt && cat mock.txt'});

		const log = readFileSync(logFile, 'utf8');
		for (const line of sampleLines('success_tool_use.jsonl')) expect(log).toContain(line);
		expect(log).toContain('fake-agent: starting replay\n');
	});

	it('decodes multi-byte text split across chunks, and an error result fails the attempt', async () => {
		const work = tempDir();
		const result = await runAgent({
			adapter: fixedAdapter({file: fixture('replay.mjs'), args: [fixture('claude/api_error_401_after_10_retries.jsonl'), '1', '5']}, claude),
			input: attemptInput(work),
			env: baseEnv(),
			logFile: path.join(work, 'a.log'),
			timeoutMs: 20_000,
		});
		expect(result).toMatchObject({ok: false, reason: 'Invalid API key · Fix external API key', exitCode: 1, timedOut: false});
	});

	it('appends to an existing log instead of truncating it', async () => {
		const work = tempDir();
		const logFile = path.join(work, 'a.log');
		writeFileSync(logFile, 'earlier\n');
		await runAgent({
			adapter: fixedAdapter({file: fixture('print-and-exit.mjs'), args: ['now']}, text),
			input: attemptInput(work),
			env: baseEnv(),
			logFile,
			timeoutMs: 20_000,
		});
		expect(readFileSync(logFile, 'utf8')).toBe('earlier\nnow\n');
	});

	it('a non-zero exit is a failure naming the code', async () => {
		const work = tempDir();
		const events: AgentEvent[] = [];
		const result = await runAgent({
			adapter: fixedAdapter({file: fixture('print-and-exit.mjs'), args: ['working on it'], env: {FAKE_EXIT: '3'}}, text),
			input: attemptInput(work),
			env: baseEnv(),
			logFile: path.join(work, 'a.log'),
			timeoutMs: 20_000,
			onEvent: event => events.push(event),
		});
		expect(result).toMatchObject({ok: false, reason: 'exited with code 3', exitCode: 3, timedOut: false, lastText: 'working on it'});
		expect(events).toEqual([{type: 'text', text: 'working on it'}]);
	});

	it('gives the agent a closed stdin: a fake that reads stdin sees EOF at once', async () => {
		const work = tempDir();
		const result = await runAgent({
			adapter: fixedAdapter({file: fixture('read-stdin.mjs'), args: []}, text),
			input: attemptInput(work),
			env: baseEnv(),
			logFile: path.join(work, 'a.log'),
			timeoutMs: 5_000,
			killGraceMs: 100,
		});
		expect(result).toMatchObject({ok: true, timedOut: false, lastText: 'stdin: eof after 0 bytes'});
	});

	it("passes exactly the given environment, plus the adapter's", async () => {
		const work = tempDir();
		process.env['PROOFLOOP_LEAK_TEST'] = 'leaked';
		try {
			const result = await runAgent({
				adapter: new CommandAdapter({command: 'echo "leak=${PROOFLOOP_LEAK_TEST:-none} mine=$MINE ticket=$PROOFLOOP_TICKET cwd=$(pwd)"'}),
				input: attemptInput(work, {ticketId: 'T-9'}),
				env: {...baseEnv(), MINE: 'yes'},
				logFile: path.join(work, 'a.log'),
				timeoutMs: 20_000,
			});
			expect(result.lastText).toBe(`leak=none mine=yes ticket=T-9 cwd=${work}`);
		} finally {
			delete process.env['PROOFLOOP_LEAK_TEST'];
		}
	});

	it('drops an over-long stdout line from the parser but keeps it in the log', async () => {
		const work = tempDir();
		const events: AgentEvent[] = [];
		const logFile = path.join(work, 'a.log');
		const result = await runAgent({
			adapter: fixedAdapter({file: fixture('print-and-exit.mjs'), args: ['before', 'LONG:5000', 'after']}, text),
			input: attemptInput(work),
			env: baseEnv(),
			logFile,
			timeoutMs: 20_000,
			maxLineBytes: 1000,
			onEvent: event => events.push(event),
		});
		expect(result.ok).toBe(true);
		expect(events).toEqual([
			{type: 'text', text: 'before'},
			{type: 'text', text: 'after'},
		]);
		expect(readFileSync(logFile, 'utf8')).toContain('x'.repeat(5000));
	});

	it('at the timeout kills the whole group: a grandchild that ignores SIGTERM dies with its leader', async () => {
		const work = tempDir();
		const pidFile = path.join(work, 'grandchild.pid');
		const started = Date.now();
		const result = await runAgent({
			adapter: fixedAdapter({file: fixture('hang-with-grandchild.mjs'), args: [pidFile, 'dies-on-term']}, text),
			input: attemptInput(work),
			env: baseEnv(),
			logFile: path.join(work, 'a.log'),
			timeoutMs: 800,
			// Long grace: the grandchild must die because the leader exited,
			// not because the grace ran out.
			killGraceMs: 30_000,
		});
		expect(Date.now() - started).toBeLessThan(10_000);
		expect(result).toMatchObject({ok: false, timedOut: true, reason: 'timed out after 0.8s; the process group was killed', signal: 'SIGTERM'});
		const grandchild = Number(readFileSync(pidFile, 'utf8'));
		expect(await eventually(() => !alive(grandchild) && !alive(result.pid!))).toBe(true);
	});

	it('SIGKILLs the group after the grace when the leader ignores SIGTERM too', async () => {
		const work = tempDir();
		const pidFile = path.join(work, 'grandchild.pid');
		const result = await runAgent({
			adapter: fixedAdapter({file: fixture('hang-with-grandchild.mjs'), args: [pidFile, 'ignores-term']}, text),
			input: attemptInput(work),
			env: baseEnv(),
			logFile: path.join(work, 'a.log'),
			timeoutMs: 500,
			killGraceMs: 500,
		});
		expect(result).toMatchObject({ok: false, timedOut: true, signal: 'SIGKILL'});
		expect(result.durationMs).toBeGreaterThanOrEqual(1000);
		expect(readFileSync(path.join(work, 'a.log'), 'utf8')).toContain('leader: ignoring SIGTERM');
		const grandchild = Number(readFileSync(pidFile, 'utf8'));
		expect(await eventually(() => !alive(grandchild) && !alive(result.pid!))).toBe(true);
	});

	it('does not wait forever on a grandchild that left the group and holds the pipe', async () => {
		const work = tempDir();
		const pidFile = path.join(work, 'grandchild.pid');
		let grandchild = 0;
		try {
			const started = Date.now();
			const result = await runAgent({
				adapter: fixedAdapter({file: fixture('hang-with-grandchild.mjs'), args: [pidFile, 'escape']}, text),
				input: attemptInput(work),
				env: baseEnv(),
				logFile: path.join(work, 'a.log'),
				timeoutMs: 30_000,
			});
			grandchild = Number(readFileSync(pidFile, 'utf8'));
			expect(Date.now() - started).toBeLessThan(10_000);
			expect(result).toMatchObject({ok: true, exitCode: 0, timedOut: false, lastText: 'leader: exiting, grandchild escaped'});
		} finally {
			// It escaped the group by design; the test cleans it up by pid.
			if (!grandchild && existsSync(pidFile)) grandchild = Number(readFileSync(pidFile, 'utf8'));
			if (grandchild) process.kill(grandchild, 'SIGKILL');
		}
	});

	it('rethrows an onEvent error only after the process group is gone', async () => {
		const work = tempDir();
		const pidFile = path.join(work, 'grandchild.pid');
		let leader = 0;
		await expect(
			runAgent({
				adapter: fixedAdapter({file: fixture('hang-with-grandchild.mjs'), args: [pidFile, 'ignores-term']}, text),
				input: attemptInput(work),
				env: baseEnv(),
				logFile: path.join(work, 'a.log'),
				timeoutMs: 500,
				killGraceMs: 200,
				onSpawn: pid => (leader = pid),
				onEvent: () => {
					throw new Error('bug in the caller');
				},
			}),
		).rejects.toThrow('bug in the caller');
		const grandchild = Number(readFileSync(pidFile, 'utf8'));
		expect(await eventually(() => !alive(grandchild) && !alive(leader))).toBe(true);
	});

	it('a run whose log cannot be written is not a clean success', async () => {
		const work = tempDir();
		const result = await runAgent({
			adapter: fixedAdapter({file: fixture('print-and-exit.mjs'), args: ['LONG:200000', 'done']}, text),
			input: attemptInput(work),
			env: baseEnv(),
			// A directory: opening it for append fails (EISDIR).
			logFile: work,
			timeoutMs: 10_000,
		});
		expect(result).toMatchObject({ok: false, exitCode: 0, timedOut: false, lastText: 'done'});
		expect(result.reason).toMatch(/^could not write the log .*EISDIR/);
	});

	it('reports a program that cannot start', async () => {
		const work = tempDir();
		const result = await runAgent({
			adapter: fixedAdapter({file: path.join(work, 'no-such-agent'), args: []}, claude),
			input: attemptInput(work),
			env: baseEnv(),
			logFile: path.join(work, 'a.log'),
			timeoutMs: 5_000,
		});
		expect(result.ok).toBe(false);
		expect(result.pid).toBeUndefined();
		expect(result.reason).toMatch(/^could not start .*no-such-agent: .*ENOENT/);
	});

	it('reports a missing worktree instead of a confusing ENOENT', async () => {
		const work = tempDir();
		const result = await runAgent({
			adapter: fixedAdapter({file: fixture('print-and-exit.mjs'), args: []}, text),
			input: attemptInput(path.join(work, 'gone')),
			env: baseEnv(),
			logFile: path.join(work, 'a.log'),
			timeoutMs: 5_000,
		});
		expect(result).toMatchObject({ok: false, reason: `worktree does not exist: ${path.join(work, 'gone')}`});
	});
});

describe('CommandAdapter through the runner', () => {
	it('substitutes placeholders shell-quoted, so odd paths arrive intact', async () => {
		const work = tempDir("dir with 'quotes' and spaces ");
		const promptFile = path.join(work, 'my prompt $(touch pwned) `x`.md');
		const events: AgentEvent[] = [];
		const result = await runAgent({
			adapter: new CommandAdapter({command: "printf '%s\\n' {prompt_file} {ticket} {attempt} {worktree} {model} {unknown}", model: 'm-default'}),
			input: attemptInput(work, {promptFile, ticketId: 'T-2', attempt: 2}),
			env: baseEnv(),
			logFile: path.join(work, 'a.log'),
			timeoutMs: 20_000,
			onEvent: event => events.push(event),
		});
		expect(result.ok).toBe(true);
		expect(events.map(e => (e.type === 'text' ? e.text : ''))).toEqual([promptFile, 'T-2', '2', work, 'm-default', '{unknown}']);
		expect(existsSync(path.join(work, 'pwned'))).toBe(false);
	});

	it('claude-stream-json output reads the result event', async () => {
		const work = tempDir();
		const result = await runAgent({
			adapter: new CommandAdapter({command: `cat {prompt_file}; exit 1`, output: 'claude-stream-json'}),
			input: attemptInput(work, {promptFile: fixture('claude/not_logged_in.jsonl')}),
			env: baseEnv(),
			logFile: path.join(work, 'a.log'),
			timeoutMs: 20_000,
		});
		expect(result).toMatchObject({ok: false, reason: 'Not logged in · Please run /login', exitCode: 1});
	});

	it('a signal is reported as such', async () => {
		const work = tempDir();
		const result = await runAgent({
			adapter: new CommandAdapter({command: 'kill -TERM $$'}),
			input: attemptInput(work),
			env: baseEnv(),
			logFile: path.join(work, 'a.log'),
			timeoutMs: 20_000,
		});
		expect(result).toMatchObject({ok: false, reason: 'killed by SIGTERM', signal: 'SIGTERM', timedOut: false});
	});
});
