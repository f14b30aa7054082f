import type {Command} from 'commander';
import {plainPrinter} from '../core/progress.js';
import {startRun} from '../core/start-run.js';
import {PullGuard} from '../tracker/sync/pull-guard.js';
import {attach} from './attach.js';
import {keepRunningWithoutOutput} from './closed-output.js';
import {startDaemon} from './daemon.js';
import {reportError} from './errors.js';
import {openRepo} from '../git/index.js';
import {agentOf, loadProjectConfig} from '../core/config.js';
import {loadPreferences} from '../core/preferences.js';

async function refuseWithoutAgent(cwd: string): Promise<void> {
	const repo = await openRepo(cwd);
	const prefs = loadPreferences();
	agentOf(loadProjectConfig(repo.root, {defaultAgent: prefs.defaultAgent, defaultReviewer: prefs.defaultReviewer}));
}

/** Run (or resume) the batch headless, printing one plain line per event; exits with the oracle's code. */
export async function runHeadless(cwd: string, opts: {unsandboxed?: boolean; allowDirty?: boolean} = {}): Promise<number> {
	const print = plainPrinter(Date.now());
	// A run that refuses to start writes nothing: not even its sync's pull.
	const pullGuard = new PullGuard();
	const output = keepRunningWithoutOutput();
	try {
		const outcome = await startRun({
			cwd,
			pullGuard,
			handleSignals: true,
			...(opts.unsandboxed ? {unsandboxed: true} : {}),
			...(opts.allowDirty ? {allowDirty: true} : {}),
			// A run that cannot write stops at once, before acting on anything it could not record.
			onUnwritable: error => {
				process.exitCode = reportError(error);
				process.exit();
			},
			onEvent: event => {
				const line = print(event);
				if (line && !output.closed()) process.stdout.write(line + '\n');
			},
		});
		if (!output.closed()) process.stdout.write(`report: ${outcome.report.md}\n`);
		return outcome.exit;
	} catch (error) {
		pullGuard.undo();
		return reportError(error);
	}
}

export function registerRun(program: Command): void {
	program
		.command('run')
		.description('run the configured batch until the oracle says done (or resume the run a crash cut short)')
		.option('--headless', 'run the engine in this process and print plain progress lines (always so without a TTY)')
		.option('--detach', 'start the engine in the background and return at once; watch it with `proofloop attach`')
		.option(
			'--unsandboxed',
			'run the agents without the bubblewrap sandbox this time (as "sandbox": "none" in the config); the run says UNSANDBOXED everywhere',
		)
		.option(
			'--allow-dirty',
			'run although your checkout of base has uncommitted changes: it follows base only where git keeps them, else it is left as you have it (HEAD detached) ' +
				'and the run says so',
		)
		.addHelpText(
			'after',
			`
The run ends only with the oracle's verdict, which is also the exit code:
  0  every ticket of the batch is done (merged, checks green, verified live) or human-gated
  1  not done: the tickets holding it back are listed
  2  cannot judge, or bad input (the message names the file and the fix)

In a terminal the engine runs in the background and this command attaches to it:
detaching (d, or closing the terminal) leaves the run going; \`proofloop attach\` comes back.

Killed mid-run? Run it again: the same run resumes, no merge is applied twice.`,
		)
		.action(async (opts: {headless?: boolean; detach?: boolean; unsandboxed?: boolean; allowDirty?: boolean}) => {
			const flags = {unsandboxed: Boolean(opts.unsandboxed), allowDirty: Boolean(opts.allowDirty)};
			if (opts.headless || (!opts.detach && !process.stdout.isTTY)) {
				process.exitCode = await runHeadless(process.cwd(), flags);
				return;
			}
			try {
				// Before the background engine starts (it writes its output file first): no agent is bad input, nothing written.
				await refuseWithoutAgent(process.cwd());
				const {runId, repoRoot} = await startDaemon(process.cwd(), flags);
				if (opts.detach) {
					process.stdout.write(
						`engine started in the background (run ${runId}, ${repoRoot})\nwatch it: proofloop attach    state: proofloop status    stop: proofloop stop\n`,
					);
					return;
				}
				process.exitCode = await attach(process.cwd());
			} catch (error) {
				const code = (error as {exitCode?: number}).exitCode;
				const reported = reportError(error);
				process.exitCode = code ?? reported;
			}
		});
}
