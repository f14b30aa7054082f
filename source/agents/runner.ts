/**
 * Runs one agent attempt (a worker, reviewer, planner or healer) as a child
 * process through the spawner (process/spawn.ts). Everything that is the same
 * for every agent CLI lives here: the sandbox, line splitting, usage and the
 * verdict. What differs per CLI (the command line, the meaning of its output)
 * is the adapter's.
 */
import {existsSync, mkdirSync} from 'node:fs';
import path from 'node:path';
import type {AgentAdapter, AgentCommand, AgentEvent, AgentLimit, AttemptInput} from './adapter.js';
import {LineSplitter} from './line-splitter.js';
import {spawnProcess, type SpawnResult} from '../process/spawn.js';
import {sandboxCommand, type SandboxPolicy} from './sandbox.js';
import {importWorktreeObjects} from './agent-objects.js';

export type RunAgentOptions = {
	adapter: AgentAdapter;
	input: AttemptInput;
	/** The complete environment of the child: nothing is inherited, the caller decides. */
	env: Record<string, string>;
	/** Raw stdout + stderr, appended as it arrives (what a pane tails). */
	logFile: string;
	timeoutMs: number;
	/** Between SIGTERM and SIGKILL on a timeout. Default 3000. */
	killGraceMs?: number;
	/** Longest stdout line handed to the parser; longer ones are dropped. Default 1 MiB. */
	maxLineBytes?: number;
	onEvent?: (event: AgentEvent) => void;
	/** Called once the child exists, so the engine can record the pgid for orphan reaping. */
	onSpawn?: (pid: number) => void;
	/**
	 * Run the agent inside bubblewrap under this policy (see sandbox.ts). Absent:
	 * unsandboxed. The pid reported is bwrap's; its group and the sandbox's pid
	 * namespace end together (--die-with-parent), so the group kill still ends all.
	 */
	sandbox?: SandboxPolicy;
	/** The log keeps this many bytes, then only its last MiB (process/output-log.ts). Default 64 MiB. */
	maxLogBytes?: number;
};

export type AgentUsage = {inputTokens: number; outputTokens: number; costUsd: number};

export type AgentRunResult = {
	ok: boolean;
	reason: string;
	exitCode?: number;
	signal?: string;
	timedOut: boolean;
	durationMs: number;
	usage: AgentUsage;
	/** The agent's last words: the last text event, else the result message. */
	lastText?: string;
	pid?: number;
	/**
	 * Set when a usage or rate limit ended the run (never on a success): park
	 * the ticket until then, or back off when neither field is set, instead of
	 * counting the attempt.
	 */
	limit?: AgentLimit;
	/** The CLI's session id, when it printed one (for a resume). */
	sessionId?: string;
	/** Writing the log failed (a full disk, say): the caller decides whether that is the agent's failure or the machine's. */
	logError?: Error;
};

/**
 * After the leader exits we kill its group, which closes the pipes of every
 * grandchild that shared them. A grandchild that left the group (setsid) can
 * still hold a pipe open; we stop waiting for it after this long.
 */
const PIPE_DRAIN_MS = 2000;

export async function runAgent(opts: RunAgentOptions): Promise<AgentRunResult> {
	const started = Date.now();
	const {adapter, input} = opts;
	const usage: AgentUsage = {inputTokens: 0, outputTokens: 0, costUsd: 0};
	const done = (result: Omit<AgentRunResult, 'durationMs' | 'usage' | 'timedOut'> & {timedOut?: boolean}): AgentRunResult => ({
		timedOut: false,
		...result,
		durationMs: Date.now() - started,
		usage,
	});

	// Checked here because a missing cwd makes spawn report ENOENT for the
	// program, which sends whoever reads the reason looking in the wrong place.
	if (!existsSync(input.worktree)) {
		return done({ok: false, reason: `worktree does not exist: ${input.worktree}`});
	}

	const parser = adapter.parser();
	let lastText: string | undefined;
	let resultMessage: string | undefined;
	let resultSession: string | undefined;
	// A throwing onEvent is a bug in the caller; it must not stop us from
	// reaping the process group, so it is rethrown only after cleanup.
	let callbackError: unknown;

	const handleLine = (line: string): void => {
		let events: AgentEvent[];
		try {
			events = parser.line(line);
		} catch {
			// A parser choking on one odd line must not end the attempt: the
			// verdict comes from finish(), and the raw log keeps the line.
			return;
		}
		for (const event of events) {
			if (event.type === 'text') lastText = event.text;
			if (event.type === 'result') {
				resultMessage = event.message;
				resultSession = event.sessionId ?? resultSession;
			}
			if (event.type === 'usage') {
				// Summed, though every CLI we know prints one result per -p
				// process. (Claude's total_cost_usd is cumulative within a
				// session, so several results from one process would over-count.)
				usage.inputTokens += event.inputTokens;
				usage.outputTokens += event.outputTokens;
				usage.costUsd += event.costUsd ?? 0;
			}
			try {
				opts.onEvent?.(event);
			} catch (error) {
				callbackError ??= error;
			}
		}
	};
	const splitter = new LineSplitter(handleLine, opts.maxLineBytes);
	// stderr lines go to parsers that listen: some failures are explained only there.
	const stderrSplitter = new LineSplitter(line => {
		try {
			parser.stderrLine?.(line);
		} catch {
			// As for stdout: one odd line must not end the attempt.
		}
	}, opts.maxLineBytes);

	mkdirSync(path.dirname(opts.logFile), {recursive: true});
	let command: AgentCommand;
	let running: Promise<SpawnResult>;
	try {
		command = adapter.command(input);
		if (opts.sandbox) {
			const boxed = sandboxCommand(opts.sandbox, {worktree: input.worktree, agent: adapter.name, file: command.file, args: command.args});
			command = {file: boxed.file, args: boxed.args, env: {...command.env, ...boxed.env}};
		}
		running = spawnProcess({
			file: command.file,
			args: command.args,
			cwd: input.worktree,
			env: {...opts.env, ...command.env},
			logFile: opts.logFile,
			maxLogBytes: opts.maxLogBytes,
			timeoutMs: opts.timeoutMs,
			killGraceMs: opts.killGraceMs ?? 3000,
			drainMs: PIPE_DRAIN_MS,
			onStdout: chunk => splitter.push(chunk),
			onStderr: chunk => stderrSplitter.push(chunk),
			onSpawn: opts.onSpawn,
		});
	} catch (error) {
		// e.g. an unreadable prompt file: this attempt cannot start, the engine goes on.
		return done({ok: false, reason: `could not build the ${adapter.name} command: ${error instanceof Error ? error.message : String(error)}`});
	}
	const {pid, exitCode, signal, timedOut, logError, startError} = await running;
	// The box is gone with its processes: what its git wrote is checked and moved into the repository now.
	const objects = opts.sandbox ? await importWorktreeObjects(input.worktree) : undefined;
	splitter.end();
	stderrSplitter.end();
	if (callbackError !== undefined) throw callbackError as Error;

	const base: Pick<AgentRunResult, 'exitCode' | 'signal' | 'pid' | 'lastText' | 'timedOut' | 'sessionId' | 'logError'> = {
		...(logError ? {logError} : {}),
		exitCode,
		signal,
		pid,
		lastText: lastText ?? resultMessage,
		timedOut,
	};

	if (pid === undefined) {
		// Never started (program not found, not executable, ...).
		return done({...base, ok: false, reason: `could not start ${command.file}: ${startError}`});
	}
	const verdict = parser.finish({exitCode, signal});
	const sessionId = verdict.sessionId ?? resultSession;
	if (sessionId !== undefined) base.sessionId = sessionId;
	if (timedOut) {
		const seconds = Number((opts.timeoutMs / 1000).toFixed(3));
		return done({...base, ok: false, reason: `timed out after ${seconds}s; the process group was killed`});
	}
	if (logError && verdict.ok) {
		// The log is evidence the next attempt and the human read; a run we
		// could not record is not a clean success.
		return done({...base, ok: false, reason: `could not write the log ${opts.logFile}: ${logError.message}`});
	}
	if (objects?.refused.length && verdict.ok) {
		const named = objects.refused.slice(0, 3).join(', ');
		return done({...base, ok: false, reason: `the agent's git wrote objects that do not match their ids or that git refuses (${named}); they were not taken`});
	}
	// A limit only ever explains a failure.
	if (!verdict.ok && verdict.limit) return done({...base, ok: false, reason: verdict.reason, limit: verdict.limit});
	return done({...base, ok: verdict.ok, reason: verdict.reason});
}
