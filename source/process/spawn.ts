/**
 * The one way proofloop starts a process it does not trust (an agent, a
 * reviewer, a healer, a check, a verify): boxed in the caller's sandbox,
 * contained (containment.ts), in its own process group, timed, its output
 * logged; when the leader exits or times out the group and the container are
 * killed, and output still in the pipes is read for a while (the drain).
 */
import {setTimeout as sleep} from 'node:timers/promises';
import {execa} from 'execa';
import {intentsDurable} from '../lib/intent-barrier.js';
import {timerDelay} from '../lib/timer.js';
import {contain} from './containment.js';
import {DEFAULT_MAX_LOG_BYTES, OutputLog} from './output-log.js';
import {killProcessGroup} from './process-group.js';

export type SpawnOptions = {
	file: string;
	args: string[];
	/** A command line the program runs inside (a bwrap argv ending in `--`); absent: run as is. */
	box?: string[] | undefined;
	cwd: string;
	/** The complete environment of the child: nothing is inherited, the caller decides. */
	env: Record<string, string>;
	/** Appended to as output arrives; the caller creates its directory. */
	logFile: string;
	/** The log keeps this many bytes, then only its tail (output-log.ts). Default 64 MiB. */
	maxLogBytes?: number | undefined;
	timeoutMs: number;
	/** Between SIGTERM and SIGKILL on a timeout; 0: SIGKILL at once. */
	killGraceMs: number;
	/** How long to keep reading the pipes after the leader exited (a grandchild that left the group may hold them). */
	drainMs: number;
	onStdout?: ((chunk: Buffer) => void) | undefined;
	onStderr?: ((chunk: Buffer) => void) | undefined;
	/** Called once the child exists (the engine records the pgid for orphan reaping). */
	onSpawn?: ((pid: number) => void) | undefined;
};

export type SpawnResult = {
	/** Absent: the program never started (`startError` says why). */
	pid?: number;
	startError?: string;
	exitCode?: number;
	signal?: string;
	timedOut: boolean;
	/** Writing the log failed (a full disk, say): the caller decides whether that is the child's failure or the machine's. */
	logError?: Error;
};

/**
 * Run one process to its end. Throws, before anything starts, only when it
 * cannot be contained; a throwing callback is rethrown once the process and
 * everything it started are gone.
 */
export function spawnProcess(opts: SpawnOptions): Promise<SpawnResult> {
	const [file = opts.file, ...args] = [...(opts.box ?? []), opts.file, ...opts.args];
	// Everything it starts, however it hides, ends with it.
	const box = contain(opts.env, {file, args});
	// What it acts on is logged first: it starts after that fsync (group commit, lib/intent-barrier.ts).
	return intentsDurable().then(() => run(opts, box));
}

async function run(opts: SpawnOptions, box: ReturnType<typeof contain>): Promise<SpawnResult> {
	// A throwing callback is a bug in the caller; it must not stop the group from being reaped.
	let callbackError: unknown;
	const guarded =
		<A extends unknown[]>(callback: ((...args: A) => void) | undefined) =>
		(...args: A): void => {
			try {
				callback?.(...args);
			} catch (error) {
				callbackError ??= error;
			}
		};
	const log = new OutputLog(opts.logFile, opts.maxLogBytes ?? DEFAULT_MAX_LOG_BYTES);
	const child = execa(box.command.file, box.command.args, {
		cwd: opts.cwd,
		env: opts.env,
		extendEnv: false,
		// Closed, not an open pipe: some CLIs block until stdin reaches EOF.
		stdin: 'ignore',
		stdout: 'pipe',
		stderr: 'pipe',
		// Own process group, so the group can be killed as one.
		detached: true,
		reject: false,
		// Streamed to the log and the callbacks; never held in memory.
		buffer: false,
	});
	const pid = child.pid;
	if (pid !== undefined) guarded(opts.onSpawn)(pid);
	log.pipe(child.stdout, guarded(opts.onStdout));
	log.pipe(child.stderr, guarded(opts.onStderr));

	const timers = new AbortController();
	let timedOut = false;
	if (pid !== undefined) {
		void (async () => {
			await sleep(timerDelay(opts.timeoutMs), undefined, {signal: timers.signal});
			timedOut = true;
			if (opts.killGraceMs > 0) {
				killProcessGroup(pid, 'SIGTERM');
				await sleep(timerDelay(opts.killGraceMs), undefined, {signal: timers.signal});
			}
			killProcessGroup(pid, 'SIGKILL');
			box.end();
		})().catch(() => {
			// Aborted: the process ended first.
		});
	}

	// The leader's exit decides, not the pipes: a background process it left may hold them open.
	let exit: {exitCode?: number; signal?: string} | undefined;
	const drain = new AbortController();
	child.once('exit', (code, signal) => {
		exit = {...(code === null ? {} : {exitCode: code}), ...(signal === null ? {} : {signal})};
		timers.abort();
		// The leader is gone, so the spawn is over: nothing it started may outlive it, whatever the reason it ended.
		if (pid !== undefined) killProcessGroup(pid, 'SIGKILL');
		box.end();
		sleep(opts.drainMs, undefined, {signal: drain.signal}).then(
			() => {
				child.stdout?.destroy();
				child.stderr?.destroy();
			},
			() => {
				// Drained before the time was up.
			},
		);
	});

	const result = await child;
	timers.abort();
	drain.abort();
	box.end();
	const logError = await log.close();
	if (callbackError !== undefined) throw callbackError as Error;

	const exitCode = exit ? exit.exitCode : result.exitCode;
	const signal = exit ? exit.signal : result.signal;
	return {
		...(pid === undefined ? {startError: result.originalMessage || result.shortMessage} : {pid}),
		...(exitCode === undefined ? {} : {exitCode}),
		...(signal === undefined ? {} : {signal}),
		timedOut,
		...(logError ? {logError} : {}),
	};
}
