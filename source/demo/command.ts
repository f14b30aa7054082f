import type {Command} from 'commander';
import {probeBwrap} from '../agents/sandbox.js';
import {attach} from '../commands/attach.js';
import {startDaemon} from '../commands/daemon.js';
import {reportError} from '../commands/errors.js';
import {runHeadless} from '../commands/run.js';
import {findEngine} from '../core/control-client.js';
import {cliEntry} from '../core/paths.js';
import {buildDemoRepo, DEMO_BATCH} from './build.js';
import {demoTickets} from './tickets.js';
import {DEMO_PLAN_REQUEST} from './plan-recipe.js';

export function registerDemo(program: Command): void {
	program
		.command('demo')
		.description(
			`build a throwaway repo with a small app and a batch of ${Object.keys(demoTickets(DEMO_BATCH)).length} tickets, ` +
				`and run it to the oracle's verdict with the built-in demo engine`,
		)
		.option('--dir <dir>', 'where to create the demo repo (default: a fresh temp dir)')
		.option('--headless', 'plain progress lines instead of the TUI (always so without a TTY)')
		.option(
			'--plan',
			'first plan the batch with `proofloop plan` from a two-sentence request (the demo engine answers as planner and researchers), then run it',
		)
		.action(async (opts: {dir?: string; headless?: boolean; plan?: boolean}) => {
			let root: string;
			try {
				root = await buildDemoRepo(opts.dir, {plan: Boolean(opts.plan)});
			} catch (error) {
				process.exitCode = reportError(error);
				return;
			}
			process.stdout.write(`demo repo: ${root}\n`);
			let exit: number;
			// The demo runs where bwrap does not (a first look needs nothing installed); the run says UNSANDBOXED then.
			const unsandboxed = {unsandboxed: !probeBwrap().ok};
			if (opts.plan) {
				const {plan} = await import('../commands/plan.js');
				process.stdout.write(`proofloop plan "${DEMO_PLAN_REQUEST}"\n`);
				const planned = await plan(root, [DEMO_PLAN_REQUEST], unsandboxed).catch((error: unknown) => reportError(error));
				if (planned !== 0) {
					process.exitCode = planned;
					return;
				}
			}
			if (opts.headless || !process.stdout.isTTY || !process.stdin.isTTY) {
				exit = await runHeadless(root, unsandboxed);
			} else {
				try {
					await startDaemon(root, unsandboxed);
					exit = await attach(root);
				} catch (error) {
					exit = reportError(error);
				}
			}
			const cli = cliEntry();
			if (findEngine(root).ok) {
				// Detached: the run goes on without this terminal.
				process.stdout.write(
					`\nthe demo run goes on in the background:\n  cd ${root} && node ${cli} attach     # watch it again\n  cd ${root} && node ${cli} status\n`,
				);
				process.exitCode = 0;
				return;
			}
			process.stdout.write(
				`\ndemo repo: ${root}\n` +
					`try:\n` +
					`  cd ${root} && git log --oneline --graph main\n` +
					`  cd ${root} && node ${cli} oracle        # exit ${exit}\n` +
					`  cd ${root} && node ${cli} report       # the ledger\n` +
					`  edit a done ticket back to "status: todo" and run the oracle again: exit 1, naming it\n`,
			);
			process.exitCode = exit;
		});
}
