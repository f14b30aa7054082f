import {appendFileSync, mkdirSync} from 'node:fs';
import {createHash} from 'node:crypto';
import path from 'node:path';
import {execa} from 'execa';

export type ShellResult = {ok: boolean; exitCode?: number; timedOut: boolean; output: string};

const MAX_KEEP = 64 * 1024;

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
}): Promise<ShellResult> {
	mkdirSync(path.dirname(opts.logFile), {recursive: true});
	appendFileSync(opts.logFile, `\n[proofloop] ${opts.label}: $ ${opts.command}\n`);
	const child = execa('/bin/sh', ['-c', opts.command], {
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
	child.all?.on('data', (chunk: Buffer) => {
		appendFileSync(opts.logFile, chunk);
		kept = (kept + chunk.toString('utf8')).slice(-MAX_KEEP);
	});
	let timedOut = false;
	const timer = setTimeout(() => {
		timedOut = true;
		killGroup(child.pid, 'SIGKILL');
	}, opts.timeoutMs);
	const result = await child;
	clearTimeout(timer);
	// Whatever the command left behind in its group dies with it.
	killGroup(child.pid, 'SIGKILL');
	const exitCode = typeof result.exitCode === 'number' ? result.exitCode : undefined;
	appendFileSync(opts.logFile, `[proofloop] ${opts.label}: ${timedOut ? 'timed out' : `exit ${exitCode ?? result.signal}`}\n`);
	return {ok: !timedOut && exitCode === 0, exitCode, timedOut, output: kept};
}

function killGroup(pid: number | undefined, signal: NodeJS.Signals): void {
	if (!pid) return;
	try {
		process.kill(-pid, signal);
	} catch {
		// Already gone.
	}
}

export const lastLines = (text: string, count: number): string => text.trimEnd().split('\n').slice(-count).join('\n');

export const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex');

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
