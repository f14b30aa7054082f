/**
 * Runs one agent attempt as a child process. Everything that is the same for
 * every agent CLI lives here: spawning in the worktree, the raw log, line
 * splitting, the wall-clock timeout and killing the whole process group. What
 * differs per CLI (the command line, the meaning of its output) is the
 * adapter's.
 */
import {createWriteStream, existsSync, mkdirSync} from 'node:fs';
import path from 'node:path';
import type {Readable} from 'node:stream';
import {finished} from 'node:stream/promises';
import {execa} from 'execa';
import type {AgentAdapter, AgentCommand, AgentEvent, AgentLimit, AttemptInput} from './adapter.js';
import {LineSplitter} from './line-splitter.js';
import {contain, type Contained} from './containment.js';
import {killProcessGroup} from './process-group.js';
import {sandboxCommand, type SandboxPolicy} from './sandbox.js';
import {timerDelay} from '../lib/timer.js';

export {killProcessGroup, processGroupAlive} from './process-group.js';

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
	/**
	 * The log keeps this many bytes, then only the last LOG_TAIL_BYTES, with a
	 * line saying how much was left out: an agent printing a gigabyte must not
	 * fill the disk. Default 64 MiB.
	 */
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

const DEFAULT_MAX_LOG_BYTES = 64 * 1024 * 1024;
/** What a capped log keeps of the end of the output (where the result usually is). */
export const LOG_TAIL_BYTES = 1024 * 1024;

/** The last `max` bytes of a stream, in a bounded number of buffers. */
class Tail {
	private chunks: Buffer[] = [];
	private size = 0;
	/** Bytes that went past the cap, kept or not. */
	seen = 0;

	constructor(private readonly max: number) {}

	push(chunk: Buffer): void {
		this.seen += chunk.length;
		const piece = chunk.length > this.max ? chunk.subarray(chunk.length - this.max) : chunk;
		// Copied: the stream may reuse its buffer.
		this.chunks.push(Buffer.from(piece));
		this.size += piece.length;
		while (this.size - (this.chunks[0]?.length ?? 0) >= this.max) this.size -= this.chunks.shift()!.length;
	}

	bytes(): Buffer {
		const all = Buffer.concat(this.chunks);
		return all.subarray(Math.max(0, all.length - this.max));
	}
}

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

	let command: AgentCommand;
	// Everything the agent starts, however it hides, ends with it (see containment.ts).
	let box: Contained | undefined;
	try {
		command = adapter.command(input);
		if (opts.sandbox) {
			const boxed = sandboxCommand(opts.sandbox, {worktree: input.worktree, agent: adapter.name, file: command.file, args: command.args});
			command = {file: boxed.file, args: boxed.args, env: {...command.env, ...boxed.env}};
		}
		box = contain(opts.env, command);
		command = {...command, ...box.command};
	} catch (error) {
		// e.g. an unreadable prompt file: this attempt cannot start, the engine goes on.
		return done({ok: false, reason: `could not build the ${adapter.name} command: ${error instanceof Error ? error.message : String(error)}`});
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
	const log = createWriteStream(opts.logFile, {flags: 'a'});
	let logError: Error | undefined;
	const maxLogBytes = opts.maxLogBytes ?? DEFAULT_MAX_LOG_BYTES;
	let logged = 0;
	const tail = new Tail(LOG_TAIL_BYTES);
	// Pipes paused while the log catches up; a failed log must release them
	// too, or the agent would block on a full pipe until the timeout.
	const paused = new Set<Readable>();
	const resumeAll = (): void => {
		for (const stream of paused) stream.resume();
		paused.clear();
	};
	log.on('drain', resumeAll);
	log.on('error', error => {
		logError ??= error;
		resumeAll();
	});

	const subprocess = execa(command.file, command.args, {
		cwd: input.worktree,
		env: {...opts.env, ...command.env},
		extendEnv: false,
		// Closed, not an open pipe: some CLIs block until stdin reaches EOF.
		stdin: 'ignore',
		stdout: 'pipe',
		stderr: 'pipe',
		// Own process group, so the group can be killed as one.
		detached: true,
		reject: false,
		// Streamed to the log and the parser; never held in memory.
		buffer: false,
	});
	const pid = subprocess.pid;
	if (pid !== undefined) {
		try {
			opts.onSpawn?.(pid);
		} catch (error) {
			callbackError ??= error;
		}
	}

	// The log is written in arrival order; if the disk falls behind, the
	// child's pipes are paused (backpressure) instead of buffering in memory.
	const pipe = (stream: Readable | null, onChunk?: (chunk: Buffer) => void): void => {
		stream?.on('data', (data: Buffer | string) => {
			const chunk = typeof data === 'string' ? Buffer.from(data) : data;
			// Up to the cap the log gets everything; past it only the tail is kept (in memory, bounded).
			const room = Math.max(0, maxLogBytes - logged);
			const head = room >= chunk.length ? chunk : chunk.subarray(0, room);
			if (head.length < chunk.length) tail.push(chunk.subarray(head.length));
			logged += head.length;
			if (head.length > 0 && !logError && !log.write(head) && !logError) {
				stream.pause();
				paused.add(stream);
			}
			onChunk?.(chunk);
		});
	};
	pipe(subprocess.stdout, chunk => splitter.push(chunk));
	pipe(subprocess.stderr, chunk => stderrSplitter.push(chunk));

	let timedOut = false;
	let graceTimer: NodeJS.Timeout | undefined;
	let drainTimer: NodeJS.Timeout | undefined;
	const timeoutTimer =
		pid === undefined
			? undefined
			: setTimeout(() => {
					timedOut = true;
					killProcessGroup(pid, 'SIGTERM');
					graceTimer = setTimeout(() => {
						killProcessGroup(pid, 'SIGKILL');
						box?.end();
					}, timerDelay(opts.killGraceMs ?? 3000));
				}, timerDelay(opts.timeoutMs));

	let exit: {exitCode?: number; signal?: string} | undefined;
	subprocess.once('exit', (code, signal) => {
		exit = {exitCode: code ?? undefined, signal: signal ?? undefined};
		clearTimeout(timeoutTimer);
		clearTimeout(graceTimer);
		// The leader is gone, so the attempt is over: nothing it started may
		// outlive it, whatever the reason it ended.
		if (pid !== undefined) killProcessGroup(pid, 'SIGKILL');
		box?.end();
		drainTimer = setTimeout(() => {
			subprocess.stdout?.destroy();
			subprocess.stderr?.destroy();
		}, PIPE_DRAIN_MS);
	});

	const result = await subprocess;
	box?.end();
	clearTimeout(timeoutTimer);
	clearTimeout(graceTimer);
	clearTimeout(drainTimer);
	splitter.end();
	stderrSplitter.end();
	if (tail.seen > 0 && !logError) {
		const kept = tail.bytes();
		log.write(`\n[proofloop: the output passed ${maxLogBytes} bytes; ${tail.seen - kept.length} bytes left out, the last ${kept.length} follow]\n`);
		log.write(kept);
	}
	if (logError) log.destroy();
	else log.end();
	// Resolves once the log is flushed; an error was already recorded above.
	await finished(log).catch(() => {});
	if (callbackError !== undefined) throw callbackError as Error;

	const exitCode = exit?.exitCode ?? result.exitCode;
	const signal = exit?.signal ?? result.signal;
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
		return done({...base, ok: false, reason: `could not start ${command.file}: ${result.originalMessage || result.shortMessage}`});
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
	// A limit only ever explains a failure.
	if (!verdict.ok && verdict.limit) return done({...base, ok: false, reason: verdict.reason, limit: verdict.limit});
	return done({...base, ok: verdict.ok, reason: verdict.reason});
}
