// npm run chaos -- --kills 200 [--seed N] [--out bench/results/chaos.json]
//
// Crash tolerance, proven by force: a demo-sized batch (8 tickets, deps, an
// infra lock, fake agents that sleep a little) runs under `proofloop run
// --headless`, and the engine is killed with SIGKILL at random moments: right
// after an event of each kind in turn (dispatch, agent start, checks, merge
// intent, merge done, verify, done), or after the Nth next event. Sometimes a
// torn half-line is left at the end of the event log, as a kill mid-write
// would. The engine is restarted each time until it exits on its own; then
// the batch must be at oracle 0, every ticket merged exactly once on main (one
// Ticket + Attempt trailer pair each), no process carrying the run id alive,
// no worktree and no engine lock left, and every line of the event log
// readable. When kills remain, a fresh batch starts. Prints a table and writes
// the figures as JSON; exits 1 when an invariant broke.
import {spawn, execFileSync} from 'node:child_process';
import {appendFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import path from 'node:path';
import {fileURLToPath} from 'node:url';
import {setTimeout as sleep} from 'node:timers/promises';

const root = fileURLToPath(new URL('..', import.meta.url));
const CLI = path.join(root, 'dist', 'cli.js');
const FAKE_AGENT = path.join(root, 'test', 'fixtures', 'agents', 'fake-agent.mjs');
const {readEventLog} = await import(path.join(root, 'dist', 'source', 'core', 'event-log.js'));
const {findRunProcesses} = await import(path.join(root, 'dist', 'source', 'process', 'orphans.js'));
const {listRuns} = await import(path.join(root, 'dist', 'source', 'core', 'run-dir.js'));

const args = process.argv.slice(2);
const option = (name, fallback) => {
	const i = args.indexOf(`--${name}`);
	return i >= 0 && args[i + 1] !== undefined ? args[i + 1] : fallback;
};
const totalKills = Number(option('kills', 30));
let seed = Number(option('seed', Date.now() % 2 ** 31));
const initialSeed = seed;
const out = path.resolve(root, option('out', 'bench/results/chaos.json'));
const quiet = args.includes('--quiet');
/** auto (bwrap when it works here) or none. Unsandboxed, an agent outlives a SIGKILLed engine until the next engine reaps it: counted, not failed. */
const sandbox = option('sandbox', 'auto');
/** Attempts per ticket: with 1, any attempt a kill interrupted is redone under the same number or the run breaks its budget. */
const budget = Number(option('attempts', 3));
/** No single engine may run longer than this between kills (a hang is a failure, not a wait). */
const ENGINE_LIMIT_MS = Number(option('engine-limit-seconds', 180)) * 1000;

// A small deterministic PRNG (mulberry32), so a failing run can be replayed with --seed.
const random = () => {
	seed = (seed + 0x6d2b79f5) | 0;
	let t = seed;
	t = Math.imul(t ^ (t >>> 15), t | 1);
	t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
	return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
};
const randInt = (lo, hi) => lo + Math.floor(random() * (hi - lo + 1));
const log = line => {
	if (!quiet) console.log(line);
};

/** The moments a kill aims at, in turn; every other kill lands after a random number of events instead. */
const KINDS = ['attempt.started', 'agent.spawned', 'checks.result', 'merge.intent', 'merge.done', 'verify.result', 'ticket.done'];

const TICKETS = [
	{id: 'A'},
	{id: 'B'},
	{id: 'C'},
	{id: 'D', deps: ['A']},
	{id: 'E', deps: ['B', 'C']},
	{id: 'F', deps: ['D']},
	{id: 'I-1', locks: ['infra']},
	{id: 'I-2', locks: ['infra'], deps: ['A']},
];

function makeBatch() {
	const repo = mkdtempSync(path.join(tmpdir(), 'pl-chaos-'));
	const io = `${repo}-io`;
	mkdirSync(io);
	const git = (...a) => execFileSync('git', a, {cwd: repo, stdio: ['ignore', 'pipe', 'pipe']});
	git('init', '-q', '-b', 'main');
	git('config', 'user.name', 'chaos');
	git('config', 'user.email', 'chaos@example.invalid');
	writeFileSync(path.join(repo, 'README.md'), '# chaos\n');
	writeFileSync(path.join(repo, '.gitignore'), '.proofloop/runs/\n.proofloop/worktrees/\n');
	mkdirSync(path.join(repo, '.proofloop', 'tickets'), {recursive: true});
	const config = {
		batch: 'chaos',
		concurrency: 3,
		attempts: budget,
		attemptTimeoutSeconds: 60,
		agent: {type: 'command', command: `node ${FAKE_AGENT} {ticket} {attempt}`},
		checks: ['test -e README.md'],
		verifyRetries: 0,
		agentEnv: {pass: ['FAKE_']},
		// A checkout under the temp dir is hidden by the sandbox's private /tmp: open it (the fake agent lives there).
		sandboxPaths: {writable: [io], readable: root.startsWith(`${tmpdir()}${path.sep}`) ? [path.resolve(root)] : []},
		sandbox,
	};
	writeFileSync(path.join(repo, '.proofloop', 'config.json'), JSON.stringify(config, null, 2));
	for (const t of TICKETS) {
		const text = [
			'---',
			`id: ${t.id}`,
			`title: Chaos ${t.id}`,
			'status: todo',
			'batch: chaos',
			`deps: [${(t.deps ?? []).join(', ')}]`,
			`locks: [${(t.locks ?? []).join(', ')}]`,
			'---',
			`Do ${t.id}.`,
			'',
		];
		writeFileSync(path.join(repo, '.proofloop', 'tickets', `${t.id}.md`), text.join('\n'));
	}
	git('add', '-A');
	git('commit', '-q', '-m', 'init');
	const plan = path.join(io, 'plan.json');
	writeFileSync(plan, JSON.stringify({_sleepMs: 150}));
	return {repo, io, plan, labels: []};
}

/** Every attempt number the run showed (headless labels, prompts, events, ticket files, report) is within the budget. */
function attemptNumbers(batch, run) {
	const over = [];
	for (const label of batch.labels) {
		const [n, of] = label.slice('attempt '.length).split('/').map(Number);
		if (n > of || of > budget) over.push(`label "${label}"`);
	}
	const prompts = path.join(run.dir, 'prompts');
	for (const ticket of existsSync(prompts) ? readdirSync(prompts) : []) {
		if (!statSync(path.join(prompts, ticket)).isDirectory()) continue;
		for (const file of readdirSync(path.join(prompts, ticket))) {
			const said = /This is attempt (\d+) of (\d+)/.exec(readFileSync(path.join(prompts, ticket, file), 'utf8'));
			if (!said || Number(said[1]) > Number(said[2]) || Number(said[2]) > budget || Number.parseInt(file, 10) > budget)
				over.push(`prompt ${ticket}/${file}: ${said?.[0]}`);
		}
	}
	for (const event of readEventLog(run.eventsFile).events) {
		if (event.type === 'attempt.started' && (event.attempt > event.maxAttempts || event.maxAttempts > budget))
			over.push(`event attempt.started ${event.ticket} ${event.attempt}/${event.maxAttempts}`);
	}
	for (const t of TICKETS) {
		const said = /^attempts: (\d+)$/m.exec(readFileSync(path.join(batch.repo, '.proofloop', 'tickets', `${t.id}.md`), 'utf8'));
		if (said && Number(said[1]) > budget) over.push(`ticket file ${t.id}: ${said[0]}`);
	}
	const report = path.join(run.dir, 'report.json');
	for (const t of existsSync(report) ? JSON.parse(readFileSync(report, 'utf8')).tickets : []) {
		if (t.attempts > budget) over.push(`report ${t.id}: ${t.attempts} attempts`);
	}
	return over;
}

const eventsFile = repo => {
	const run = listRuns(repo)[0];
	return run ? run.eventsFile : undefined;
};

/** Complete lines in the event log, and the type of the last one. */
function readLines(file) {
	if (!file || !existsSync(file)) return {count: 0, last: undefined};
	const text = readFileSync(file, 'utf8');
	const lines = text.split('\n');
	lines.pop(); // after the last newline: empty, or a torn tail
	let last;
	for (let i = lines.length - 1; i >= 0 && !last; i--) {
		try {
			last = JSON.parse(lines[i]).type;
		} catch {
			// A torn line in the middle would show up in the final check.
		}
	}
	return {count: lines.length, last};
}

/**
 * One engine life: start it, and kill it (when `plan` says so) right after
 * the event it aims at. Resolves with how it ended.
 */
async function engineLife(batch, plan) {
	const file0 = eventsFile(batch.repo);
	const base = readLines(file0).count;
	const started = Date.now();
	const engine = spawn(process.execPath, [CLI, 'run', '--headless'], {
		cwd: batch.repo,
		env: {...process.env, FAKE_AGENT_PLAN: batch.plan, NO_COLOR: '1'},
		stdio: ['ignore', 'pipe', 'pipe'],
	});
	let output = '';
	const keep = chunk => {
		output = (output + chunk).slice(-20_000);
		for (const m of String(chunk).matchAll(/attempt (\d+)\/(\d+)/g)) batch.labels.push(m[0]);
	};
	engine.stdout.on('data', keep);
	engine.stderr.on('data', keep);
	const exited = new Promise(resolve => engine.once('exit', (code, signal) => resolve({code, signal})));
	let ended;
	exited.then(value => (ended = value));

	let seen = base;
	let lastSize = -1;
	let killedAfter;
	while (!ended) {
		if (Date.now() - started > ENGINE_LIMIT_MS) {
			engine.kill('SIGKILL');
			await exited;
			return {kind: 'hung', output};
		}
		if (plan) {
			const file = eventsFile(batch.repo);
			const size = file && existsSync(file) ? statSync(file).size : 0;
			if (size !== lastSize) {
				lastSize = size;
				const {count, last} = readLines(file);
				const fresh = count - base;
				const hit = plan.kind ? fresh > 0 && count > seen && newEventsInclude(file, seen, plan.kind) : fresh >= plan.afterEvents;
				seen = count;
				if (hit) {
					// Not always at once: a few ms later lands inside whatever the event started.
					const jitter = randInt(0, 3) === 0 ? 0 : randInt(1, 25);
					if (jitter) await sleep(jitter);
					if (!ended) {
						engine.kill('SIGKILL');
						await exited;
						killedAfter = readLines(file).last ?? last;
						return {kind: 'killed', after: killedAfter, output};
					}
				}
			}
		}
		await sleep(3);
	}
	return {kind: 'exited', code: ended.code, signal: ended.signal, output};
}

function newEventsInclude(file, from, kind) {
	const lines = readFileSync(file, 'utf8').split('\n').slice(from, -1);
	return lines.some(line => line.includes(`"type":"${kind}"`));
}

/** Merge commits on main per ticket: [ticket, attempt] trailer pairs. */
function mergesOnMain(repo) {
	const text = execFileSync('git', ['log', 'main', '--format=%B%x00'], {cwd: repo, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024});
	const pairs = [];
	for (const message of text.split('\0')) {
		const ticket = /^Ticket: (.+)$/m.exec(message)?.[1];
		const attempt = /^Attempt: (\d+)$/m.exec(message)?.[1];
		if (ticket) pairs.push(`${ticket}#${attempt ?? '?'}`);
	}
	return pairs;
}

function checkBatch(batch, final) {
	const problems = [];
	const run = listRuns(batch.repo)[0];
	if (final.kind !== 'exited' || final.code !== 0)
		problems.push(`the last engine ended ${JSON.stringify({kind: final.kind, code: final.code, signal: final.signal})}:\n${final.output.slice(-3000)}`);
	const oracle = (() => {
		try {
			execFileSync(process.execPath, [CLI, 'oracle'], {cwd: batch.repo, stdio: ['ignore', 'pipe', 'pipe']});
			return 0;
		} catch (error) {
			return error.status ?? -1;
		}
	})();
	if (oracle !== 0) problems.push(`proofloop oracle exits ${oracle}`);

	const pairs = mergesOnMain(batch.repo);
	const perTicket = new Map();
	for (const pair of pairs) {
		const ticket = pair.split('#')[0];
		perTicket.set(ticket, (perTicket.get(ticket) ?? 0) + 1);
	}
	let duplicates = 0;
	for (const t of TICKETS) {
		const n = perTicket.get(t.id) ?? 0;
		if (n !== 1) problems.push(`${t.id} is merged ${n} times on main`);
		if (n > 1) duplicates += n - 1;
	}
	if (new Set(pairs).size !== pairs.length) problems.push(`a Ticket + Attempt trailer pair appears twice: ${pairs.join(', ')}`);
	// The merge queue's ledger: exactly one record per ticket, however the kills fell.
	const ledger = (() => {
		try {
			return execFileSync('git', ['show', 'refs/heads/proofloop-ledger:merges.jsonl'], {cwd: batch.repo, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe']});
		} catch {
			return '';
		}
	})();
	const recorded = ledger
		.split('\n')
		.filter(Boolean)
		.map(line => JSON.parse(line).ticket);
	for (const t of TICKETS) {
		const n = recorded.filter(id => id === t.id).length;
		if (n !== 1) problems.push(`${t.id} has ${n} record(s) in the merge queue's ledger`);
		if (n > 1) duplicates += n - 1;
	}

	const processes = run ? findRunProcesses(run.id) : [];
	if (processes.length > 0) problems.push(`processes of run ${run.id} outlived the engine: ${processes.join(', ')}`);
	const worktrees = (execFileSync('git', ['worktree', 'list', '--porcelain'], {cwd: batch.repo, encoding: 'utf8'}).match(/^worktree /gm) ?? []).length - 1;
	if (worktrees !== 0) problems.push(`${worktrees} worktree(s) left`);
	const lock = existsSync(path.join(batch.repo, '.proofloop', 'runs', 'engine.lock'));
	if (lock) problems.push('the engine lock is left');
	const over = run ? attemptNumbers(batch, run) : [];
	if (over.length > 0) problems.push(`attempt numbers above the budget of ${budget}: ${over.join('; ')}`);

	let unreadable = 0;
	if (run) {
		const lines = readFileSync(run.eventsFile, 'utf8').split('\n');
		if (lines.at(-1) !== '') unreadable++;
		for (const line of lines.slice(0, -1)) {
			try {
				JSON.parse(line);
			} catch {
				unreadable++;
			}
		}
		if (unreadable > 0) problems.push(`${unreadable} unreadable line(s) in ${run.eventsFile}`);
		try {
			readEventLog(run.eventsFile);
		} catch (error) {
			problems.push(`the event log does not read: ${error.message}`);
		}
	}
	return {problems, merges: pairs.length, duplicates, leaks: {processes: processes.length, worktrees, locks: lock ? 1 : 0}, unreadable};
}

const started = Date.now();
const stats = {
	kills: 0,
	restarts: 0,
	batches: 0,
	merges: 0,
	duplicates: 0,
	leaks: {processes: 0, worktrees: 0, locks: 0},
	tornTailsInjected: 0,
	survivors: 0,
	aimedAt: {},
	killedAfter: {},
	problems: [],
};

while (stats.kills < totalKills || stats.batches === 0) {
	const batch = makeBatch();
	stats.batches++;
	log(`batch ${stats.batches}: ${batch.repo}`);
	let final;
	for (;;) {
		const remaining = totalKills - stats.kills;
		const plan = remaining <= 0 ? undefined : stats.kills % 2 === 0 ? {kind: KINDS[(stats.kills / 2) % KINDS.length]} : {afterEvents: randInt(1, 25)};
		const life = await engineLife(batch, plan);
		if (life.kind !== 'killed') {
			final = life;
			break;
		}
		stats.kills++;
		stats.restarts++;
		stats.killedAfter[life.after ?? '(none)'] = (stats.killedAfter[life.after ?? '(none)'] ?? 0) + 1;
		const aim = plan?.kind ?? 'Nth event';
		stats.aimedAt[aim] = (stats.aimedAt[aim] ?? 0) + 1;
		// No agent outlives its engine: bwrap's --die-with-parent takes the sandbox down with it
		// (a check the engine ran itself may take a moment to end on its own).
		const runId = listRuns(batch.repo)[0]?.id;
		if (runId) {
			const until = Date.now() + 2000;
			let left = findRunProcesses(runId);
			while (left.length > 0 && Date.now() < until) {
				await sleep(20);
				left = findRunProcesses(runId);
			}
			if (left.length > 0) {
				stats.survivors++;
				const what = left.map(pid => {
					try {
						return readFileSync(`/proc/${pid}/cmdline`, 'latin1').replaceAll('\0', ' ').trim().slice(0, 120);
					} catch {
						return String(pid);
					}
				});
				if (sandbox !== 'none')
					stats.problems.push(
						`batch ${stats.batches}: ${left.length} process(es) of the run outlived the engine killed after ${life.after} by 2 s: ${what.join(' | ')}`,
					);
			}
		}
		// Now and then, leave what a kill mid-write leaves: half a line.
		const file = eventsFile(batch.repo);
		if (file && randInt(1, 6) === 1) {
			appendFileSync(file, '{"seq":999999,"at":"2026-01-01T00:00:00.000Z","type":"tick');
			stats.tornTailsInjected++;
		}
		log(`  kill ${stats.kills}/${totalKills} after ${life.after} (${plan?.kind ? `aimed at ${plan.kind}` : `after ${plan?.afterEvents} events`})`);
	}
	if (final.kind === 'exited' && final.code === 0) log(`  the engine finished on its own`);
	const checked = checkBatch(batch, final);
	stats.merges += checked.merges;
	stats.duplicates += checked.duplicates;
	for (const key of Object.keys(stats.leaks)) stats.leaks[key] += checked.leaks[key];
	for (const problem of checked.problems) stats.problems.push(`batch ${stats.batches} (${batch.repo}): ${problem}`);
	if (checked.problems.length > 0 || stats.problems.length > 0) break;
}

const seconds = Math.round((Date.now() - started) / 100) / 10;
const leaks = stats.leaks.processes + stats.leaks.worktrees + stats.leaks.locks;
const result = {
	bench: 'chaos',
	at: new Date().toISOString(),
	node: process.version,
	seed: initialSeed,
	sandbox,
	kills: stats.kills,
	restarts: stats.restarts,
	batches: stats.batches,
	tickets: stats.batches * TICKETS.length,
	merges: stats.merges,
	duplicates: stats.duplicates,
	leaks,
	leakDetail: stats.leaks,
	tornTailsInjected: stats.tornTailsInjected,
	survivors: stats.survivors,
	aimedAt: stats.aimedAt,
	killedAfter: stats.killedAfter,
	seconds,
	ok: stats.problems.length === 0,
	problems: stats.problems,
};

const rows = [
	['kills', result.kills],
	['restarts', result.restarts],
	['batches', `${result.batches} (${result.tickets} tickets)`],
	['merges', result.merges],
	['duplicates', result.duplicates],
	['leaks', `${leaks} (processes ${stats.leaks.processes}, worktrees ${stats.leaks.worktrees}, locks ${stats.leaks.locks})`],
	['torn tails', result.tornTailsInjected],
	['survivors', `${result.survivors} (kills after which a process of the run outlived the engine by 2 s)`],
	['seconds', seconds],
	['seed', result.seed],
	['sandbox', sandbox],
];
console.log('\nchaos');
for (const [key, value] of rows) console.log(`  ${String(key).padEnd(10)}  ${value}`);
console.log(
	`  aimed at: ${Object.entries(stats.aimedAt)
		.map(([k, v]) => `${k} ${v}`)
		.join(', ')}`,
);
console.log(
	`  killed after: ${Object.entries(stats.killedAfter)
		.sort((a, b) => b[1] - a[1])
		.map(([k, v]) => `${k} ${v}`)
		.join(', ')}`,
);
mkdirSync(path.dirname(out), {recursive: true});
writeFileSync(out, JSON.stringify(result, null, 2) + '\n');
console.log(`wrote ${path.relative(root, out)}`);
if (!result.ok) {
	console.error(`\nchaos: ${stats.problems.length} problem(s):\n${stats.problems.join('\n')}`);
	process.exit(1);
}
