import type {Command} from 'commander';
import {openRepo} from '../git/index.js';
import {loadProjectConfig} from '../core/config.js';
import {readEventLog} from '../core/event-log.js';
import {buildReport, renderReportMarkdown, writeReport} from '../core/report.js';
import {readManifest} from '../core/run-dir.js';
import {findRun} from './find-run.js';
import {InputError} from '../core/start-run.js';
import {FileTracker} from '../tracker/files.js';
import {reportError} from './errors.js';
import {writeHtmlReport} from './report-html.js';

export function registerReport(program: Command): void {
	program
		.command('report [run]')
		.description(
			"a run's ledger: per ticket status, attempts, time, cost, what the finish line caught, discovered tickets; per run makespan, interventions (gate, " +
				'ungate, retry, reset, hand edits of tickets) and controls (pause, resume, stop, restart) by kind, heals, tickets the loop filed',
		)
		.option('--json', 'print report.json instead of the Markdown')
		.option(
			'--html',
			'write one self-contained HTML page (timeline, dependency graph, what the finish line caught, interventions, cost by agent) and print its path (with --json: {"html": path})',
		)
		.option('--out <file>', 'with --html: where to write it (default: report.html in the run directory)')
		.action(async (id: string | undefined, opts: {json?: boolean; html?: boolean; out?: string}) => {
			try {
				const repo = await openRepo(process.cwd());
				const run = findRun(repo.root, id);
				if (!run) throw new InputError(`no run in ${repo.root} yet\n  fix: start one with \`proofloop run\``);
				const config = loadProjectConfig(repo.root);
				const tickets = await new FileTracker({repoRoot: repo.root, dir: config.tracker.dir}).load();
				// Rebuilt from the log every time, so a report of a running or crashed run is current too.
				const events = readEventLog(run.eventsFile).events;
				const report = buildReport(readManifest(run), events, tickets);
				if (opts.out && !opts.html) throw new InputError('--out names where --html writes its page\n  fix: add --html, or drop --out');
				writeReport(run.dir, report);
				if (opts.html) {
					const page = writeHtmlReport(run, report, events, opts.out);
					return void process.stdout.write(opts.json ? `${JSON.stringify({html: page})}\n` : `${page}\n`);
				}
				process.stdout.write(opts.json ? JSON.stringify(report, null, 2) + '\n' : renderReportMarkdown(report));
			} catch (error) {
				process.exitCode = reportError(error);
			}
		});
}
