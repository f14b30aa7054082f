import type {Command} from 'commander';
import type {ControlClient} from '../core/control-client.js';
import {plainPrinter} from '../core/progress.js';
import {loadProjectConfig} from '../core/config.js';
import type {NotifyKind} from '../core/notify/config.js';
import {findEngine} from '../core/control-client.js';
import {listRuns} from '../core/run-dir.js';
import {openRepo} from '../git/index.js';
import {InputError} from '../core/input-error.js';
import {connectToEngine} from './engine-client.js';
import {reportError} from './errors.js';

/**
 * Follow a running engine as plain lines (no TTY, pipes, CI): the whole log is
 * replayed, then live events, until the run stops; exits with the oracle's code.
 */
export function followPlain(client: ControlClient): Promise<number> {
	return new Promise(resolve => {
		const print = plainPrinter();
		let exit = 2;
		client.subscribe(event => {
			const line = print(event);
			if (line) process.stdout.write(line + '\n');
			if (event.type === 'run.stopped') exit = event.oracleExit ?? 2;
		});
		client.onClose(() => resolve(exit));
	});
}

/** With no engine running and the newest run ended cleanly: its summary (the TUI's end screen, or plain lines), exit the oracle's code. */
async function attachEnded(cwd: string): Promise<number | undefined> {
	if (process.env['PROOFLOOP_CONTROL'] ?? process.env['PROOFLOOP_RUN_ID']) return undefined;
	const repo = await openRepo(cwd);
	const run = listRuns(repo.root)[0];
	if (!run || findEngine(repo.root).ok) return undefined;
	const {endedRunEvents, endedRunClient, plainSummary, diedMessage} = await import('../ui/ended-run.js');
	const events = endedRunEvents(run.dir);
	const died = events ? undefined : diedMessage(run.dir);
	if (died) throw new InputError(died);
	if (!events) return undefined;
	const exit = events.findLast(e => e.type === 'run.stopped');
	const code = exit?.type === 'run.stopped' ? (exit.oracleExit ?? 2) : 2;
	if (!(process.stdout.isTTY && process.stdin.isTTY)) {
		process.stdout.write(plainSummary(run.dir, events) + '\n');
		return code;
	}
	process.env.NODE_ENV ??= 'production';
	process.env.CI = 'false';
	const {attachTui} = await import('../ui/attach.js');
	const outcome = await attachTui({client: endedRunClient(events), repoRoot: repo.root, runId: run.id, maxAttempts: 3});
	return outcome.reason === 'finished' ? (outcome.oracleExit ?? 2) : 0;
}

export async function attach(cwd: string): Promise<number> {
	const ended = await attachEnded(cwd);
	if (ended !== undefined) return ended;
	const {client, repoRoot, runId} = await connectToEngine(cwd);
	if (!(process.stdout.isTTY && process.stdin.isTTY)) return followPlain(client);
	// React's development build keeps performance entries forever: a long watch must not leak.
	process.env.NODE_ENV ??= 'production';
	// Ink renders only a final frame when it believes it runs in CI (CI=true in the environment);
	// we get here only with a real terminal on both ends, so it is interactive whatever CI says.
	process.env.CI = 'false';
	const {attachTui} = await import('../ui/attach.js');
	let maxAttempts = 3;
	let bell: NotifyKind[] = [];
	try {
		const config = loadProjectConfig(repoRoot);
		maxAttempts = config.attempts;
		bell = config.notify.bell ? config.notify.on : [];
	} catch {
		// The engine validated the config when it started; a client only draws.
	}
	try {
		const outcome = await attachTui({client, repoRoot, runId, maxAttempts, bell});
		return outcome.reason === 'finished' ? (outcome.oracleExit ?? 2) : 0;
	} finally {
		client.close();
	}
}

export function registerAttach(program: Command): void {
	program
		.command('attach')
		.description(
			'watch the running engine: the TUI in a terminal, plain progress lines otherwise (any number of clients at once); a run that has ended shows its summary',
		)
		.action(async () => {
			try {
				process.exitCode = await attach(process.cwd());
			} catch (error) {
				process.exitCode = reportError(error);
			}
		});
}
