import type {Command} from 'commander';
import {formatEvent} from '../core/progress.js';
import {startRun} from '../core/start-run.js';
import {reportError} from './errors.js';

/** Run (or resume) the batch headless, printing one plain line per event; exits with the oracle's code. */
export async function runHeadless(cwd: string): Promise<number> {
	const startedAt = Date.now();
	try {
		const outcome = await startRun({
			cwd,
			handleSignals: true,
			onEvent: event => {
				const line = formatEvent(event, startedAt);
				if (line) process.stdout.write(line + '\n');
			},
		});
		process.stdout.write(`report: ${outcome.report.md}\n`);
		return outcome.exit;
	} catch (error) {
		return reportError(error);
	}
}

export function registerRun(program: Command): void {
	program
		.command('run')
		.description('run the configured batch until the oracle says done (or resume the run a crash cut short)')
		.option('--headless', 'print plain progress lines instead of the TUI (the default until the TUI lands, and always without a TTY)')
		.addHelpText(
			'after',
			`
The run ends only with the oracle's verdict, which is also the exit code:
  0  every ticket of the batch is done (merged, checks green, verified live) or human-gated
  1  not done: the tickets holding it back are listed
  2  cannot judge, or bad input (the message names the file and the fix)

Killed mid-run? Run it again: the same run resumes, no merge is applied twice.`,
		)
		.action(async () => {
			process.exitCode = await runHeadless(process.cwd());
		});
}
