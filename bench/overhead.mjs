// The harness's own cost per ticket: N instant tickets through `proofloop run`,
// at concurrency 1 and 4, against a script doing the same steps per ticket
// (worktree add, the agent, merge --no-ff, worktree remove, branch -d; merges
// one at a time) in the same run of this bench. Both run the same agent, a
// shell one-liner (AGENT) that writes a file and commits it, spawned once per
// ticket by each: the ratio is the harness's own work, not an agent's start-up
// (a node agent paid ~40 ms per ticket on the harness's side only).
// Also prints where the harness's time went at concurrency 1 (stage-timeline.mjs).
// Flags: --tickets 40 --quick (4 tickets).
import {execFile, spawnSync} from 'node:child_process';
import {mkdtempSync, writeFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import path from 'node:path';
import {promisify} from 'node:util';
import {fileURLToPath} from 'node:url';
import {parseArgs} from 'node:util';
import {initBenchRepo, makespanOf, runEvents} from './lib/bench-repo.mjs';
import {stageTimeline} from './lib/stage-timeline.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const run$ = promisify(execFile);

/** The agent both sides run in the ticket's checkout ({ticket}: the id, shell-quoted), under /bin/sh. */
const AGENT =
	'mkdir -p work && echo done > work/{ticket}.txt && git add -A && ' + 'git -c user.name=fake -c user.email=fake@agent.invalid commit -q -m work-{ticket}';
const shellQuote = value => `'${value.replaceAll("'", `'\\''`)}'`;

function makeRepo(ids, concurrency) {
	const repo = mkdtempSync(path.join(tmpdir(), 'pl-bench-overhead-'));
	const git = initBenchRepo(repo);
	writeFileSync(
		path.join(repo, '.proofloop/config.json'),
		JSON.stringify({
			batch: 'b',
			concurrency,
			attempts: 1,
			agent: {type: 'command', command: AGENT},
			checks: ['test -e README.md'],
			verifyRetries: 0,
			sandbox: 'none',
		}),
	);
	for (const id of ids)
		writeFileSync(path.join(repo, `.proofloop/tickets/${id}.md`), `---\nid: ${id}\ntitle: Ticket ${id}\nstatus: todo\nbatch: b\n---\nWork.\n`);
	git('add', '-A');
	git('commit', '-q', '-m', 'init');
	return repo;
}

/** Seconds from run.started to the last ticket.done. */
function harness(ids, concurrency) {
	const repo = makeRepo(ids, concurrency);
	const result = spawnSync(process.execPath, [`${root}dist/cli.js`, 'run', '--headless'], {cwd: repo, env: process.env, encoding: 'utf8'});
	const events = runEvents(repo);
	return {exit: result.status, ...makespanOf(events), stages: stageTimeline(events)};
}

/** The same git steps per ticket, `concurrency` at a time. Steps that write the repository's shared
 *  metadata (worktree add/remove, merge, branch -d) take one lock: git races on .git/worktrees otherwise. */
async function script(ids, concurrency) {
	const repo = makeRepo(ids, concurrency);
	const git = (cwd, ...args) => run$('git', args, {cwd});
	let repoLock = Promise.resolve();
	const locked = step => {
		const done = repoLock.then(step);
		repoLock = done.catch(() => {});
		return done;
	};
	const queue = [...ids];
	const started = performance.now();
	const worker = async () => {
		for (let id = queue.shift(); id !== undefined; id = queue.shift()) {
			const tree = path.join(repo, '.proofloop/worktrees', id);
			await locked(() => git(repo, 'worktree', 'add', '-q', '-b', `pl/${id}`, tree, 'main'));
			await run$('/bin/sh', ['-c', AGENT.replaceAll('{ticket}', shellQuote(id))], {cwd: tree});
			await locked(() => git(repo, 'merge', '-q', '--no-ff', '-m', `Merge ${id}\n\nTicket: ${id}`, `pl/${id}`));
			await locked(async () => {
				await git(repo, 'worktree', 'remove', '--force', tree);
				await git(repo, 'branch', '-q', '-d', `pl/${id}`);
			});
		}
	};
	await Promise.all(Array.from({length: concurrency}, worker));
	return {seconds: (performance.now() - started) / 1000};
}

const round = (x, digits = 3) => Math.round(x * 10 ** digits) / 10 ** digits;

export async function run(argv = []) {
	const {values} = parseArgs({args: argv, options: {tickets: {type: 'string'}, quick: {type: 'boolean'}}});
	const count = Number(values.tickets ?? (values.quick ? 4 : 40));
	const ids = Array.from({length: count}, (_, i) => `T-${i + 1}`);
	const rows = [];
	let stages;
	for (const concurrency of [1, 4]) {
		const base = await script(ids, concurrency);
		const real = harness(ids, concurrency);
		if (concurrency === 1) stages = real.stages;
		rows.push({
			concurrency,
			harness_ms_per_ticket: Math.round((real.seconds * 1000) / count),
			script_ms_per_ticket: Math.round((base.seconds * 1000) / count),
			ratio: round(real.seconds / base.seconds, 2),
			run_exit: real.exit,
			done: real.done,
		});
	}
	console.log('where the harness time went at concurrency 1 (per ticket, between its events):');
	console.table(stages.slice(0, 14));
	console.table(rows);
	return {tickets: count, rows, ratio_c1: rows[0].ratio, ratio_c4: rows[1].ratio, goal: 'ratio <= 1.5 at both', stages_c1: stages.slice(0, 14)};
}
