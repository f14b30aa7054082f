import type {Command} from 'commander';
import {doctor} from '../agents/doctor.js';
import type {AgentConfig} from '../agents/config.js';
import {openRepo} from '../git/index.js';
import {CONFIG_PATH, loadProjectConfig} from '../core/config.js';
import {findInstalledAgents, installHint} from './init-agent.js';
import {loadPreferences} from '../core/preferences.js';
import {reportError} from './errors.js';
import {resolveSandbox} from '../agents/sandbox.js';
import {AGENT_ENV_ALLOW, envAllowed} from '../core/context.js';
import {boxVisible, preflight} from '../core/preflight.js';
import {FileTracker} from '../tracker/files.js';
import {outsideBatch} from '../tracker/outside-batch.js';
import {reviewerConfigs} from '../core/reviewers.js';
import {unknownEngineOf} from '../core/routing.js';
import {packageVersion} from '../core/paths.js';

/** Check what a run here needs: git, each configured agent CLI (found, version, the flags we rely on), the sandbox tool. */
export function registerDoctor(program: Command): void {
	program
		.command('doctor')
		.description(
			'check git, every configured agent CLI (found, version, the flags proofloop relies on), the sandbox tool and, with a queue executor, the queue and its live workers; say what to install',
		)
		.option('--json', 'print the report as JSON')
		.action(async (opts: {json?: boolean}) => {
			try {
				const repo = await openRepo(process.cwd());
				const prefs = loadPreferences();
				const config = loadProjectConfig(repo.root, {defaultAgent: prefs.defaultAgent, defaultReviewer: prefs.defaultReviewer});
				// The worker, every engine profile, the reviewers: each CLI once.
				const agents: AgentConfig[] = [...(config.agent ? [config.agent] : []), ...Object.values(config.engines), ...reviewerConfigs(config)];
				const report = await doctor(agents);
				if (!config.agent && !config.routing.ladder) report.checks.unshift(await noAgentCheck());
				// The run's own gate, and what the agents will not see of this environment.
				const tracker = new FileTracker({repoRoot: repo.root, dir: config.tracker.dir});
				const all = await tracker.load();
				const tickets = all.filter(t => t.batch === config.batch);
				const outside = outsideBatch(all, config.batch);
				report.checks.push({
					name: 'batch',
					ok: tickets.length > 0,
					detail:
						`${tickets.length} ticket${tickets.length === 1 ? '' : 's'} in batch ` +
						`'${config.batch}'${outside.length > 0 ? `; outside it:\n${outside.map(line => `        ${line}`).join('\n')}` : ''}`,
					fix: `give tickets 'batch: ${config.batch}', or set "batch" in ${CONFIG_PATH} to one they name`,
				});
				// A ticket naming a profile the config lacks: the run would refuse to start (routing.ts).
				for (const problem of tickets.flatMap(t => unknownEngineOf(config, t) ?? [])) {
					const [detail = problem, fix] = problem.split('\n  fix: ');
					report.checks.push({name: 'engine', ok: false, detail, ...(fix === undefined ? {} : {fix})});
				}
				let boxed = false;
				try {
					boxed = resolveSandbox(config.sandbox, process.env).mode === 'bwrap';
				} catch {
					// A required sandbox that cannot run is the sandbox check's to say.
				}
				const problems = await preflight({
					repoRoot: repo.root,
					config,
					tickets,
					env: process.env,
					...(boxed ? {box: {visible: boxVisible(repo.root, config, process.env)}} : {}),
				});
				report.checks.push(
					...(problems.length > 0
						? problems.map(p => ({name: p.what, ok: false, detail: p.problem, fix: p.fix}))
						: [
								{
									name: 'preflight',
									ok: true,
									detail: `every agent, check and verify command of batch '${config.batch}' resolves${boxed ? ' (agents as the sandbox shows them)' : ''}`,
								},
							]),
				);
				// A queue executor: the queue answers, and which workers are on it now.
				if (config.executor.kind === 'queue') {
					const {queueChecks} = await import('./doctor-queue.js');
					report.checks.push(...(await queueChecks(config.executor.url, packageVersion())));
				}
				const allow = [...AGENT_ENV_ALLOW, ...config.agentEnv.pass];
				const dropped = Object.keys(process.env)
					.filter(name => !envAllowed(name, allow))
					.sort();
				report.checks.push({
					name: 'agent environment',
					ok: true,
					optional: true,
					detail:
						dropped.length > 0
							? `agents do not get: ${dropped.join(', ')} (add names or prefixes to "agentEnv.pass" to pass them)`
							: 'agents get every variable of this environment',
				});
				report.ok = report.checks.every(check => check.ok || check.optional === true);
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

/** No agent in the config (nor a user default): `run` refuses; say which installed CLI could be named. */
async function noAgentCheck(): Promise<{name: string; ok: false; detail: string; fix: string}> {
	const found = await findInstalledAgents();
	return {
		name: 'agent',
		ok: false,
		detail:
			`none configured in ${CONFIG_PATH}; \`proofloop run\` refuses without ` +
			`one${found.length > 0 ? ` (found on PATH: ${found.map(f => f.type).join(', ')})` : ' (no agent CLI found on PATH)'}`,
		fix:
			`set "agent" in ${CONFIG_PATH}, e.g. "agent": {"type": ` +
			`"${found[0]?.type ?? 'claude'}"}${found.length > 0 ? '' : `; install one first:\n${installHint().replace(/^/gm, '      ')}`}`,
	};
}
