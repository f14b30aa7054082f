import {appendFileSync, mkdirSync} from 'node:fs';
import {naming} from './disk-full.js';
import path from 'node:path';
import {spawnProcess} from '../process/spawn.js';

export type ShellResult = {ok: boolean; exitCode?: number; timedOut: boolean; output: string};

const MAX_KEEP = 64 * 1024;
/** How long to keep reading output after the shell exited. */
const PIPE_DRAIN_MS = 500;

/**
 * Run one finish-line command (a check or a verify) in `cwd` through the shell,
 * with the spawner (process/spawn.ts): on a timeout its whole group is killed at
 * once. Output is appended to the attempt log (what a pane tails) and the tail
 * is kept for the failure reason.
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
	let kept = '';
	const keep = (chunk: Buffer): void => {
		kept = (kept + chunk.toString('utf8')).slice(-MAX_KEEP);
	};
	const result = await spawnProcess({
		file: '/bin/sh',
		args: ['-c', opts.command],
		box: opts.box,
		cwd: opts.cwd,
		env: opts.env,
		logFile: opts.logFile,
		timeoutMs: opts.timeoutMs,
		killGraceMs: 0,
		drainMs: PIPE_DRAIN_MS,
		onStdout: keep,
		onStderr: keep,
	});
	// A failed write (a full disk, say) is thrown once the command is over, naming the log.
	const {logError} = result;
	if (logError !== undefined)
		naming(opts.logFile, () => {
			throw logError;
		});
	const {exitCode, timedOut} = result;
	naming(opts.logFile, () => appendFileSync(opts.logFile, `[proofloop] ${opts.label}: ${timedOut ? 'timed out' : `exit ${exitCode ?? 'by signal'}`}\n`));
	return {ok: !timedOut && exitCode === 0, ...(exitCode === undefined ? {} : {exitCode}), timedOut, output: kept};
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
