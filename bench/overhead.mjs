// The harness's own cost per ticket: N instant tickets (the fake agent commits
// at once) through `proofloop run`, at concurrency 1 and 4, against a script
// doing the same git steps per ticket (worktree add, commit, merge --no-ff,
// worktree remove, branch -d; merges one at a time) in the same run of this bench.
// Flags: --tickets 40 --quick (4 tickets).
import {execFile, execFileSync, spawnSync} from 'node:child_process';
import {mkdirSync, mkdtempSync, readFileSync, readdirSync, writeFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import path from 'node:path';
import {promisify} from 'node:util';
import {fileURLToPath} from 'node:url';
import {parseArgs} from 'node:util';

const root = fileURLToPath(new URL('..', import.meta.url));
const run$ = promisify(execFile);

function makeRepo(ids, concurrency) {
	const repo = mkdtempSync(path.join(tmpdir(), 'pl-bench-overhead-'));
	const git = (...args) => execFileSync('git', args, {cwd: repo});
	git('init', '-q', '-b', 'main');
	git('config', 'user.name', 'bench');
	git('config', 'user.email', 'bench@proofloop.invalid');
	mkdirSync(path.join(repo, '.proofloop/tickets'), {recursive: true});
	writeFileSync(path.join(repo, 'README.md'), '# bench\n');
	writeFileSync(path.join(repo, '.gitignore'), '.proofloop/runs/\n.proofloop/worktrees/\n');
	const agent = `node ${root}test/fixtures/agents/fake-agent.mjs {ticket} {attempt}`;
	writeFileSync(
		path.join(repo, '.proofloop/config.json'),
		JSON.stringify({
			batch: 'b',
			concurrency,
			attempts: 1,
			agent: {type: 'command', command: agent},
			checks: ['test -e README.md'],
			verifyRetries: 0,
			agentEnv: {pass: ['FAKE_']},
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
	const plan = `${repo}.plan.json`;
	writeFileSync(plan, JSON.stringify({_sleepMs: 0}));
	const result = spawnSync(process.execPath, [`${root}dist/cli.js`, 'run', '--headless'], {
		cwd: repo,
		env: {...process.env, FAKE_AGENT_PLAN: plan},
		encoding: 'utf8',
	});
	const runs = path.join(repo, '.proofloop/runs');
	const runId = readdirSync(runs).find(name => /^\d/.test(name));
	const events = readFileSync(path.join(runs, runId, 'events.jsonl'), 'utf8')
		.trim()
		.split('\n')
		.map(line => JSON.parse(line));
	const started = Date.parse(events.find(e => e.type === 'run.started').at);
	const doneAt = events.filter(e => e.type === 'ticket.done').map(e => Date.parse(e.at));
	return {exit: result.status, done: doneAt.length, seconds: (Math.max(...doneAt) - started) / 1000};
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
			mkdirSync(path.join(tree, 'work'), {recursive: true});
			writeFileSync(path.join(tree, 'work', `${id}.txt`), 'done\n');
			await git(tree, 'add', '-A');
			await git(tree, 'commit', '-q', '-m', `${id}: work`);
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
	for (const concurrency of [1, 4]) {
		const base = await script(ids, concurrency);
		const real = harness(ids, concurrency);
		rows.push({
			concurrency,
			harness_ms_per_ticket: Math.round((real.seconds * 1000) / count),
			script_ms_per_ticket: Math.round((base.seconds * 1000) / count),
			ratio: round(real.seconds / base.seconds, 2),
			run_exit: real.exit,
			done: real.done,
		});
	}
	console.table(rows);
	return {tickets: count, rows, ratio_c1: rows[0].ratio, ratio_c4: rows[1].ratio, goal: 'ratio <= 1.5 at both'};
}
