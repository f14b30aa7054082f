import type {Command} from 'commander';
import type {ControlClient} from '../core/control-client.js';
import {plainPrinter} from '../core/progress.js';
import {loadProjectConfig} from '../core/config.js';
import type {NotifyKind} from '../core/notify/config.js';
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

export async function attach(cwd: string): Promise<number> {
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
		.description('watch the running engine: the TUI in a terminal, plain progress lines otherwise (any number of clients at once)')
		.action(async () => {
			try {
				process.exitCode = await attach(process.cwd());
			} catch (error) {
				process.exitCode = reportError(error);
			}
		});
}
