import {existsSync, mkdirSync, readFileSync, writeFileSync} from 'node:fs';
import path from 'node:path';
import type {Command} from 'commander';
import type {PlanAgentHost} from '../plan/agents.js';
import {InputError} from '../core/input-error.js';
import {reportError} from './errors.js';

export type PlanOptions = Options;
type Options = {batch?: string; fromFile?: string; json?: boolean; unsandboxed?: boolean; headless?: boolean};

const BATCH_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;

/** The request: the words given or the file named, exactly one of them, not empty. */
function requestOf(words: string[], opts: Options): string {
	if (words.length > 0 && opts.fromFile) throw new InputError('give the request as words or with --from-file, not both\n  fix: drop one of them');
	let text = words.join(' ');
	if (opts.fromFile) {
		if (!existsSync(opts.fromFile)) throw new InputError(`--from-file ${opts.fromFile}: no such file\n  fix: name the file that holds the request`);
		text = readFileSync(opts.fromFile, 'utf8');
	}
	if (text.trim() === '')
		throw new InputError(
			`no request to plan${opts.fromFile ? ` (${opts.fromFile} is empty)` : ''}\n  fix: proofloop plan "what you want, in a sentence or two" (or --from-file request.md)`,
		);
	return text.trim();
}

/** `proofloop plan`: a request turned into a master ticket and sub-tickets a worker can finish unattended. Returns the exit code. */
export async function plan(cwd: string, words: string[], opts: Options): Promise<number> {
	const [{openRepo, runGit}, config, prefs, sandbox, runEnv, context, registry, tracker, write, lock, runDir, runPlan, agents, reviewers] = await Promise.all([
		import('../git/index.js'),
		import('../core/config.js'),
		import('../core/preferences.js'),
		import('../agents/sandbox.js'),
		import('../core/run-env.js'),
		import('../core/context.js'),
		import('../agents/registry.js'),
		import('../tracker/validate.js'),
		import('../plan/write.js'),
		import('../core/run-lock.js'),
		import('../core/run-dir.js'),
		import('../plan/run-plan.js'),
		import('../plan/agents.js'),
		import('../core/reviewers.js'),
	]);
	const print = (line: string) => (opts.json ? process.stderr : process.stdout).write(`${line}\n`);
	let say = print;
	// Everything is checked before anything is written or any agent runs.
	const request = requestOf(words, opts);
	const repo = await openRepo(cwd);
	const root = repo.root;
	const p = prefs.loadPreferences();
	const cfg = config.loadProjectConfig(root, {defaultAgent: p.defaultAgent, defaultReviewer: p.defaultReviewer});
	const plannerConfig = cfg.plan.planner ?? config.agentOf(cfg);
	const trackerDir = cfg.tracker.dir;
	if (!existsSync(path.resolve(root, trackerDir)))
		throw new InputError(`no ticket directory at ${trackerDir}\n  fix: run \`proofloop init\`, or set tracker.dir in ${config.CONFIG_PATH}`);
	const read = tracker.validateTickets(write.trackerFiles(root, trackerDir));
	if (read.issues.length > 0)
		throw new InputError(
			`the tracker does not read cleanly, so a plan could not be checked against it:\n${read.issues.map(i => `  ${i.file}: ${i.message}\n  fix: ${i.fix}`).join('\n')}`,
		);
	const inBatch = (name: string) => read.tickets.filter(t => t.batch === name);
	let batch = opts.batch;
	if (batch !== undefined && !BATCH_NAME.test(batch))
		throw new InputError(`--batch ${JSON.stringify(batch)} is not a batch name\n  fix: letters, digits, "_", "." or "-", starting with a letter or digit`);
	// The config's batch when it has no tickets yet (then \`proofloop run\` runs the plan as it is); else a new one.
	batch ??= inBatch(cfg.batch).length === 0 ? cfg.batch : `plan-${runDir.newRunId().slice(0, 15)}`;
	if (inBatch(batch).length > 0)
		throw new InputError(
			`batch ${batch} already has ${inBatch(batch).length} ticket(s) (${inBatch(batch)
				.slice(0, 3)
				.map(t => t.file)
				.join(', ')}); a plan writes a new batch\n  fix: name another with --batch NAME`,
		);
	let decision: ReturnType<typeof sandbox.resolveSandbox>;
	try {
		decision = sandbox.resolveSandbox(cfg.sandbox, process.env, {unsandboxed: Boolean(opts.unsandboxed)});
	} catch (error) {
		throw new InputError((error as Error).message);
	}
	const baseSha = (await runGit(root, ['rev-parse', '--verify', '--quiet', `refs/heads/${cfg.base}^{commit}`])).stdout.trim();
	if (!baseSha) throw new InputError(`base branch ${cfg.base} does not exist\n  fix: set "base" in ${config.CONFIG_PATH} to your main branch`);
	const listed = await runGit(root, ['ls-tree', '-r', '--name-only', '-z', baseSha]);
	const baseFiles = new Set(listed.stdout.split('\0').filter(Boolean));

	const planId = `plan-${runDir.newRunId()}`;
	const release = lock.acquireRunLock(root, planId);
	try {
		const plansRoot = path.join(root, '.proofloop', 'plans');
		const planDir = path.join(plansRoot, planId);
		mkdirSync(planDir, {recursive: true});
		// The plan's records are proofloop's, never the person's changes: out of `git status`.
		if (!existsSync(path.join(plansRoot, '.gitignore'))) writeFileSync(path.join(plansRoot, '.gitignore'), '*\n');
		const allow = [...context.AGENT_ENV_ALLOW, ...cfg.agentEnv.pass];
		const env = {
			...Object.fromEntries(Object.entries(runEnv.plainEnv(process.env)).filter(([name]) => context.envAllowed(name, allow))),
			...cfg.agentEnv.set,
			PROOFLOOP_SANDBOX: decision.mode,
			// Contained like a run's agents: what one starts (setsid, nohup, a double fork) ends with it, not after the plan is written.
			PROOFLOOP_RUN_ID: planId,
		};
		for (const warning of (await import('../process/run-containment.js')).startRunContainment({id: planId, dir: planDir}, process.env).warnings)
			say(`warning: ${warning}`);
		if (decision.mode === 'none') say(`UNSANDBOXED plan (${decision.reason}): the guard still catches what an agent writes`);
		const host: PlanAgentHost = {
			repo,
			root,
			base: cfg.base,
			baseSha,
			trackerDir,
			planId,
			planDir,
			env,
			...(decision.mode === 'bwrap' ? {sandbox: runEnv.sandboxPolicy(decision, root, cfg, process.env)} : {}),
			timeoutMs: cfg.attemptTimeoutSeconds * 1000,
			snapshot: await (await import('../plan/guard.js')).snapshotPlanState(root, cfg.base, trackerDir),
			say,
			usage: {inputTokens: 0, outputTokens: 0, costUsd: 0},
			running: new Set<string>(),
		};
		const reviewerConfigs = reviewers.reviewerConfigs(cfg);
		// In a terminal the plan is drawn like a run (a pane per agent); elsewhere, plain lines.
		const progress = new (await import('../plan/progress.js')).PlanProgress(planId, batch);
		let closeScreen = () => {};
		if (!opts.json && !opts.headless && process.stdout.isTTY && process.stdin.isTTY) {
			closeScreen = (await import('../ui/plan/show-plan.js')).showPlan(progress);
			say = line => {
				progress.say(line);
				return true;
			};
		}
		host.say = say;
		host.progress = progress;
		say(`plan ${planId}: batch ${batch}, planner ${plannerConfig.type}${reviewerConfigs.map(r => `, reviewer ${r.type}`).join('')}`);
		let record;
		try {
			record = await runPlan.runPlan(host, {
				request,
				batch,
				planner: registry.createAdapter(plannerConfig),
				reviewers: reviewerConfigs.map((agent, i) => ({name: `reviewer ${i + 1} (${agent.type})`, adapter: registry.createAdapter(agent)})),
				researchers: cfg.plan.researchers,
				rounds: cfg.plan.rounds,
				limits: {maxFiles: cfg.plan.maxFiles, maxAcceptance: cfg.plan.maxAcceptance, maxTickets: cfg.plan.maxTickets},
				baseFiles,
				existingIds: new Set(read.tickets.map(t => t.id)),
				configChecks: cfg.checks,
				openIds: new Set(read.tickets.filter(t => t.status !== 'done').map(t => t.id)),
				declaredLocks: cfg.locks,
			});
		} catch (error) {
			closeScreen();
			if (!(error instanceof agents.PlanTamper)) throw error;
			print(`TAMPER: ${error.message}`);
			return 1;
		}
		closeScreen();
		say = print;
		const cost = `cost $${record.usage.costUsd.toFixed(2)}, ${record.usage.inputTokens + record.usage.outputTokens} tokens`;
		if (opts.json) process.stdout.write(`${JSON.stringify({...record, planDir}, null, 2)}\n`);
		if (record.outcome?.ok) {
			say(`plan written (${cost}): batch ${batch}`);
			say(`  ${record.outcome.master.id}  ${record.outcome.master.title} (master; depends on the rest)`);
			for (const t of record.outcome.tickets) say(`  ${t.id}  ${t.title}`);
			say(batch === cfg.batch ? 'run it: proofloop run' : `run it: set "batch": "${batch}" in ${config.CONFIG_PATH}, then proofloop run`);
			return 0;
		}
		say(`no plan written: ${record.outcome?.reason ?? 'unknown'} (${cost})`);
		for (const line of record.outcome?.unresolved ?? []) say(`  still failing: ${line}`);
		say(`  the rounds' answers: ${path.relative(cwd, path.join(planDir, 'plan.json'))}`);
		return 1;
	} finally {
		release();
	}
}

export function registerPlan(program: Command): void {
	program
		.command('plan')
		.description('turn a request into a master ticket and sub-tickets an unattended worker can finish; writes a new batch as todo, runs nothing')
		.argument('[request...]', 'the request, in a sentence or two')
		.option('--batch <name>', "the new batch to write (default: the config's batch when it has no tickets yet, else plan-<date>)")
		.option('--from-file <file>', 'read the request from this file')
		.option('--json', 'print the plan (master, findings, rounds, outcome) as JSON on stdout; progress goes to stderr')
		.option('--headless', 'plain progress lines instead of the screen with a pane per agent (always so without a TTY, or with --json)')
		.option('--unsandboxed', 'run the plan agents without the sandbox this time; the guard still refuses a plan an agent wrote into')
		.addHelpText(
			'after',
			`
The planner writes the master ticket (requirement, context, open questions, out of scope) and names angles;
researchers (plan.researchers, default 3) answer them in parallel from the code, read-only; the planner then
breaks the master into sub-tickets (scope, acceptance, files, deps, locks, test plan). A readiness lint refuses
a ticket with no acceptance or test plan, an open question, a file that does not exist and is not created, an
unknown or cyclic dependency, or one too big (plan.maxFiles, plan.maxAcceptance), a plan of more than plan.maxTickets tickets; the reviewer, when configured,
must approve. Refused plans go back to the planner (plan.rounds, default 3). A plan that never passes writes
nothing and says why (exit 1). Each step's prompt, log and answer: .proofloop/plans/<id>/.

Example: proofloop plan "Expose request metrics on /metrics and page on-call when the error rate passes 5%."`,
		)
		.action(async (words: string[], opts: Options) => {
			try {
				process.exitCode = await plan(process.cwd(), words, opts);
			} catch (error) {
				process.exitCode = reportError(error);
			}
		});
}
