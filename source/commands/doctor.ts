import type {Command} from 'commander';
import {doctor} from '../agents/doctor.js';
import type {AgentConfig} from '../agents/config.js';
import {openRepo} from '../git/index.js';
import {agentOf, loadProjectConfig} from '../core/config.js';
import {loadPreferences} from '../core/preferences.js';
import {reportError} from './errors.js';

/** Check what a run here needs: git, each configured agent CLI (found, version, the flags we rely on), the sandbox tool. */
export function registerDoctor(program: Command): void {
	program
		.command('doctor')
		.description('check git, every configured agent CLI (found, version, the flags proofloop relies on) and the sandbox tool; say what to install')
		.option('--json', 'print the report as JSON')
		.action(async (opts: {json?: boolean}) => {
			try {
				const repo = await openRepo(process.cwd());
				const prefs = loadPreferences();
				const config = loadProjectConfig(repo.root, {defaultAgent: prefs.defaultAgent, defaultReviewer: prefs.defaultReviewer});
				const agents: AgentConfig[] = [agentOf(config), ...(config.reviewer ? [config.reviewer] : [])];
				const report = await doctor(agents);
				if (opts.json) {
					process.stdout.write(JSON.stringify(report, null, 2) + '\n');
				} else {
					for (const check of report.checks) {
						const mark = check.ok ? 'ok  ' : check.optional ? 'warn' : 'FAIL';
						process.stdout.write(`${mark}  ${check.name}: ${check.detail}\n${!check.ok && check.fix ? `      fix: ${check.fix}\n` : ''}`);
					}
					process.stdout.write(report.ok ? 'doctor: ready\n' : 'doctor: not ready (see the FAIL lines)\n');
				}
				process.exitCode = report.ok ? 0 : 1;
			} catch (error) {
				process.exitCode = reportError(error);
			}
		});
}
