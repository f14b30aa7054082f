import type {Command} from 'commander';
import {InputError} from '../core/input-error.js';

type Options = {json?: boolean; dryRun?: boolean};

const at = (ms: number): string => new Date(ms).toISOString().replace(/\.\d+Z$/, 'Z');

/** The configured remote opened, or bad input naming the config file (exit 2, nothing written). */
async function open(cwd: string) {
	const [{openRepo}, {loadProjectConfig, CONFIG_PATH}, {runProcessAncestry}, {readLock, isStale}, {openSync}, {packageVersion}] = await Promise.all([
		import('../git/index.js'),
		import('../core/config.js'),
		import('../core/offline-verbs.js'),
		import('../core/run-lock.js'),
		import('../tracker/sync/session.js'),
		import('../core/paths.js'),
	]);
	const inside = runProcessAncestry();
	if (inside)
		throw new InputError(
			`refused: this process runs inside a proofloop run (${inside}); the tracker's token is not an agent's\n  fix: run it from your own shell`,
		);
	const repo = await openRepo(cwd);
	const config = loadProjectConfig(repo.root);
	if (!config.sync)
		throw new InputError(
			`${CONFIG_PATH} has no "sync"\n  fix: add one, e.g. "sync": {"type": "github", "repo": "owner/name", "labels": ["proofloop"]} (see proofloop sync --help)`,
		);
	const lock = readLock(repo.root);
	const session = openSync(
		{root: repo.root, sync: config.sync, batch: config.batch, trackerDir: config.tracker.dir, agentEnv: config.agentEnv, version: packageVersion()},
		process.env,
	);
	return {root: repo.root, session, running: lock !== undefined && !isStale(lock) ? lock : undefined};
}

async function act(verb: 'pull' | 'push' | 'check', opts: Options): Promise<number> {
	const {RemoteUnavailableError} = await import('../tracker/sync/source.js');
	const out = (human: string, json: unknown) => process.stdout.write(opts.json ? JSON.stringify(json) + '\n' : human);
	try {
		const {root, session, running} = await open(process.cwd());
		const {syncPull, syncPush, syncCheck} = await import('../tracker/sync/session.js');
		if (verb === 'pull') {
			if (running)
				throw new InputError(
					`refused: run ${running.runId} is going (pid ${running.pid}); during a run the engine is the tickets' only writer\n  fix: pull after it ends (proofloop run pulls before it starts)`,
				);
			const r = await syncPull(session, {dryRun: Boolean(opts.dryRun)});
			const lines = [
				`${opts.dryRun ? 'would pull' : 'pulled'} ${session.source.where}: ${r.created.length} new, ${r.updated.length} updated, ${r.unchanged} unchanged`,
				...(r.created.length ? [`  new: ${r.created.join(', ')}`] : []),
				...(r.updated.length ? [`  updated: ${r.updated.join(', ')}`] : []),
				...r.warnings.map(w => `  warning: ${w}`),
			];
			out(lines.join('\n') + '\n', {verb, dryRun: Boolean(opts.dryRun), ...r});
			return 0;
		}
		if (verb === 'push') {
			const {listRuns} = await import('../core/run-dir.js');
			const newest = listRuns(root)[0];
			const r = await syncPush(session, newest ? {queueIn: newest.dir} : {});
			const lines = [
				`pushed to ${session.source.where}: ${r.delivered.length} delivered${r.failed.length ? `, ${r.failed.length} not` : ''}`,
				...r.delivered.map(a => `  ${a.ticket}: ${a.kind}`),
				...r.failed.map(f => `  ${f.action.ticket}: ${f.action.kind} not delivered: ${f.error.split('\n')[0]}`),
				...r.gone.map(g => `  warning: ${g.action.ticket}: ${g.action.kind} not delivered, never will be: ${g.error}`),
				...r.unproven.map(line => `  TAMPER? ${line} (\`proofloop oracle\` says why)`),
				...(r.unavailable
					? [`  warning: ${r.unavailable.message}; queued${newest ? ` in ${newest.dir}/sync-queue.json` : ''}, retry at ${at(r.unavailable.retryAt)}`]
					: []),
			];
			out(lines.join('\n') + '\n', {
				verb,
				delivered: r.delivered,
				failed: r.failed,
				gone: r.gone,
				unproven: r.unproven,
				...(r.unavailable ? {retryAt: at(r.unavailable.retryAt)} : {}),
			});
			return r.failed.length > 0 ? 1 : 0;
		}
		const found = await syncCheck(session);
		out(
			found.length === 0
				? `${session.source.where} agrees with the ticket files\n`
				: `${found.length} disagreement(s) with ${session.source.where}:\n${found.map(d => `  ${d.message}`).join('\n')}\n`,
			{verb, disagreements: found},
		);
		return found.length > 0 ? 1 : 0;
	} catch (error) {
		if (error instanceof RemoteUnavailableError) {
			process.stderr.write(`proofloop: warning: ${error.message}; nothing was written; retry at ${at(error.retryAt)}\n`);
			return 1;
		}
		const {reportError} = await import('./errors.js');
		return reportError(error);
	}
}

export function registerSync(program: Command): void {
	const sync = program
		.command('sync')
		.description(
			'sync the ticket files with the remote tracker of the config\'s "sync" (GitHub Issues or Linear): pull issues in, push results out, check where they disagree',
		)
		.addHelpText(
			'after',
			`
The ticket files stay the live store: the engine and the oracle read only them.
  pull    the selected open issues -> ticket files (title, body, blocked-by -> deps,
          a lock label -> locks, a batch label -> batch); writes only what changed
  push    results -> the issues: done = one evidence comment and closed as completed,
          human-gated = a label and a comment, failed/blocked = a comment, stays open;
          a ticket a worker filed = a new issue with its blocked-by links
  check   where the remote disagrees (an issue closed by hand whose ticket is not done)
proofloop run pulls before it starts and pushes as tickets settle; pushes the remote
did not take are queued in the run directory and sent by the next run or sync push.

Config (.proofloop/config.json):
  "sync": {"type": "github", "repo": "owner/name", "labels": ["proofloop"],
           "lockLabels": {"needs-infra": "infra"}, "batchLabels": {"sprint-3": "sprint-3"}}
  "sync": {"type": "linear", "team": "ENG", "labels": ["proofloop"]}
Token: GITHUB_TOKEN, else \`gh auth token\`; Linear: LINEAR_API_KEY; no agent, check or verify ever gets it.
Exit: 0 done, 1 something not delivered or a disagreement (or the remote unreachable), 2 bad config.`,
		);
	for (const [verb, what] of [
		['pull', 'copy the selected open issues into ticket files (only what changed); refused during a run'],
		['push', 'tell the remote what it lacks of the results, and send the pushes queued by earlier runs'],
		['check', 'list where the remote disagrees with the ticket files the oracle judges (exit 1 if anywhere)'],
	] as const) {
		const command = sync.command(verb).description(what).option('--json', 'one JSON object on stdout');
		if (verb === 'pull') command.option('--dry-run', 'say what would change, write nothing');
		command.action(async (opts: Options) => {
			process.exitCode = await act(verb, opts);
		});
	}
}
