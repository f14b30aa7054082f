import {appendFileSync, mkdirSync} from 'node:fs';
import {naming} from './disk-full.js';
import path from 'node:path';
import {execa} from 'execa';
import {contain} from '../agents/containment.js';
import {killProcessGroup} from '../agents/process-group.js';
import {timerDelay} from '../lib/timer.js';

export type ShellResult = {ok: boolean; exitCode?: number; timedOut: boolean; output: string};

const MAX_KEEP = 64 * 1024;
/** How long to keep reading output after the shell exited. */
const PIPE_DRAIN_MS = 500;

/**
 * Run one finish-line command (a check or a verify) in `cwd` through the shell,
 * in its own process group so a timeout kills everything it started. Output is
 * appended to the attempt log (what a pane tails) and the tail is kept for the
 * failure reason.
 */
export async function runShell(opts: {
	command: string;
	cwd: string;
	env: Record<string, string>;
	timeoutMs: number;
	logFile: string;
	label: string;
	/** A command line the shell runs inside (check-box.ts), ending in `--`; absent: run as is. */
	box?: string[] | undefined;
}): Promise<ShellResult> {
	mkdirSync(path.dirname(opts.logFile), {recursive: true});
	naming(opts.logFile, () => appendFileSync(opts.logFile, `\n[proofloop] ${opts.label}: $ ${opts.command}\n`));
	const [file, ...prefix] = opts.box?.length ? opts.box : ['/bin/sh'];
	// Everything the command starts, however it hides, ends with it (see containment.ts).
	const contained = contain(opts.env, {file: file!, args: [...(opts.box?.length ? [...prefix, '/bin/sh'] : []), '-c', opts.command]});
	const child = execa(contained.command.file, contained.command.args, {
		cwd: opts.cwd,
		env: opts.env,
		extendEnv: false,
		stdin: 'ignore',
		detached: true,
		reject: false,
		all: true,
		buffer: false,
	});
	let kept = '';
	// A throw in a stream listener would be an uncaught exception (a crash with
	// the command still running): remember the first failed write (a full
	// disk, say) and throw it once the command is over.
	let logError: unknown;
	child.all?.on('data', (chunk: Buffer) => {
		if (logError === undefined) {
			try {
				naming(opts.logFile, () => appendFileSync(opts.logFile, chunk));
			} catch (error) {
				logError = error;
			}
		}
		kept = (kept + chunk.toString('utf8')).slice(-MAX_KEEP);
	});
	let timedOut = false;
	const pid = child.pid;
	const timer = setTimeout(() => {
		timedOut = true;
		if (pid) killProcessGroup(pid, 'SIGKILL');
	}, timerDelay(opts.timeoutMs));
	// The shell's own exit decides, not the pipes: a background process the
	// command left (`server &`) may hold them open. Its group dies with the
	// shell, and a process that escaped the group (setsid) is cut loose.
	let drain: NodeJS.Timeout | undefined;
	const exit = new Promise<{code: number | null; signal: NodeJS.Signals | null}>(resolve => {
		child.once('exit', (code, signal) => {
			if (pid) killProcessGroup(pid, 'SIGKILL');
			contained.end();
			drain = setTimeout(() => child.all?.destroy(), PIPE_DRAIN_MS);
			resolve({code, signal});
		});
	});
	const [{code}] = await Promise.all([exit, child]);
	contained.end();
	clearTimeout(timer);
	clearTimeout(drain);
	const exitCode = typeof code === 'number' ? code : undefined;
	if (logError !== undefined) throw logError as Error;
	naming(opts.logFile, () => appendFileSync(opts.logFile, `[proofloop] ${opts.label}: ${timedOut ? 'timed out' : `exit ${exitCode ?? 'by signal'}`}\n`));
	return {ok: !timedOut && exitCode === 0, exitCode, timedOut, output: kept};
}

export const lastLines = (text: string, count: number): string => text.trimEnd().split('\n').slice(-count).join('\n');


/**
 * The one line of a failing command's output a human (or the next agent) most
 * needs: the last line that names a failure, else the last line at all.
 */
export function gist(output: string): string {
	const lines = output
		.split('\n')
		.map(line => line.trim())
		.filter(line => line && !/^#\s*(tests|suites|pass|fail|cancelled|skipped|todo|duration_ms)\b/.test(line));
	const telling = lines.filter(line => /not ok|error|fail|missing|not switched|expected|denied|cannot|refus/i.test(line));
	return (telling.at(-1) ?? lines.at(-1) ?? '(no output)').slice(0, 240);
}
