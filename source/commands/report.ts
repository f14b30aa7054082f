import type {Command} from 'commander';
import {openRepo} from '../git/index.js';
import {loadProjectConfig} from '../core/config.js';
import {readEventLog} from '../core/event-log.js';
import {buildReport, renderReportMarkdown, writeReport} from '../core/report.js';
import {listRuns, readManifest, runDir} from '../core/run-dir.js';
import {InputError} from '../core/start-run.js';
import {FileTracker} from '../tracker/files.js';
import {reportError} from './errors.js';

export function registerReport(program: Command): void {
	program
		.command('report [run]')
		.description("a run's ledger: per ticket status, attempts, time, cost, what the finish line caught, discovered tickets; per run makespan, interventions by kind, heals, tickets the loop filed")
		.option('--json', 'print report.json instead of the Markdown')
		.action(async (id: string | undefined, opts: {json?: boolean}) => {
			try {
				const repo = await openRepo(process.cwd());
				const run = id ? runDir(repo.root, id) : listRuns(repo.root)[0];
				if (!run) throw new InputError(`no run in ${repo.root} yet\n  fix: start one with \`proofloop run\``);
				const config = loadProjectConfig(repo.root);
				const tickets = await new FileTracker({repoRoot: repo.root, dir: config.tracker.dir}).load();
				// Rebuilt from the log every time, so a report of a running or crashed run is current too.
				const report = buildReport(readManifest(run), readEventLog(run.eventsFile).events, tickets);
				writeReport(run.dir, report);
				process.stdout.write(opts.json ? JSON.stringify(report, null, 2) + '\n' : renderReportMarkdown(report));
			} catch (error) {
				process.exitCode = reportError(error);
			}
		});
}
