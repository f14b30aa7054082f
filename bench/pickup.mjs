// Dispatch latency, both ways a ticket becomes ready:
// - filings: from a ticket being filed (the engine's ticket.filed event) to
//   its own agent process being spawned (agent.spawned), over N filings made
//   by a real worker through `proofloop ticket file`;
// - dependencies: from a ticket's ticket.done event to the spawn of the one
//   waiting on it, over a chain of N tickets.
// --load: the same while one busy loop per core saturates the machine.
import {mkdirSync, mkdtempSync, readFileSync, readdirSync, writeFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import path from 'node:path';
import {execFileSync, spawnSync} from 'node:child_process';
import {fileURLToPath} from 'node:url';
import {withOptionalLoad} from './lib/load.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const count = Number(process.env.PICKUP_FILINGS ?? 100);
// A worker files as it discovers, not in a tight loop: spacing the filings
// measures the dispatch path rather than a saturated 2-core machine's queue.
const gapMs = Number(process.env.PICKUP_GAP_MS ?? 300);

function makeBatch(tickets, concurrency) {
	const repo = mkdtempSync(path.join(tmpdir(), 'pl-bench-pickup-'));
	const git = (...args) => execFileSync('git', args, {cwd: repo});
	git('init', '-q', '-b', 'main');
	git('config', 'user.name', 'bench');
	git('config', 'user.email', 'bench@proofloop.invalid');
	mkdirSync(path.join(repo, '.proofloop/tickets'), {recursive: true});
	writeFileSync(path.join(repo, 'README.md'), '# bench\n');
	writeFileSync(path.join(repo, '.gitignore'), '.proofloop/runs/\n.proofloop/worktrees/\n');
	writeFileSync(
		path.join(repo, '.proofloop/config.json'),
		JSON.stringify({
			batch: 'b',
			concurrency,
			attempts: 1,
			agent: {type: 'command', command: `node ${root}test/fixtures/agents/fake-agent.mjs {ticket} {attempt}`},
			checks: ['test -e README.md'],
			verifyRetries: 0,
			agentEnv: {pass: ['FAKE_']},
			sandbox: 'none',
		}),
	);
	for (const {id, deps = []} of tickets) {
		writeFileSync(
			path.join(repo, `.proofloop/tickets/${id}.md`),
			`---\nid: ${id}\ntitle: Ticket ${id}\nstatus: todo\nbatch: b\ndeps: [${deps.join(', ')}]\n---\nWork.\n`,
		);
	}
	git('add', '-A');
	git('commit', '-q', '-m', 'init');
	return repo;
}

function runBatch(repo, plan) {
	const planFile = `${repo}.plan.json`;
	writeFileSync(planFile, JSON.stringify(plan));
	const started = Date.now();
	const result = spawnSync(process.execPath, [`${root}dist/cli.js`, 'run', '--headless'], {
		cwd: repo,
		env: {...process.env, FAKE_AGENT_PLAN: planFile},
		encoding: 'utf8',
	});
	const runs = path.join(repo, '.proofloop/runs');
	const runId = readdirSync(runs).find(name => /^\d/.test(name));
	const events = readFileSync(path.join(runs, runId, 'events.jsonl'), 'utf8')
		.trim()
		.split('\n')
		.map(line => JSON.parse(line));
	return {events, exit: result.status, seconds: (Date.now() - started) / 1000};
}

function percentiles(samples) {
	const sorted = [...samples].sort((a, b) => a - b);
	const pct = p => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
	return {samples: sorted.length, p50: pct(50), p90: pct(90), p99: pct(99), max: sorted.at(-1)};
}

const firstSpawn = events => new Map(events.filter(e => e.type === 'agent.spawned' && e.attempt === 1).map(e => [e.ticket, Date.parse(e.at)]));
// The engine's own tracker writes must never read as foreign ones (a race once made every done ticket warn).
const falseReverts = events => events.filter(e => e.type === 'warning' && /which the engine never wrote/.test(e.message)).length;

export async function run(argv = []) {
	return withOptionalLoad(argv, measure);
}

async function measure() {
	// Filings: one worker files `count` tickets, `gapMs` apart.
	const filer = runBatch(makeBatch([{id: 'T-1'}], 16), {'T-1': 'file-many', _fileCount: count, _fileGapMs: gapMs, _sleepMs: 0});
	const filedAt = new Map(filer.events.filter(e => e.type === 'ticket.filed').map(e => [e.ticket, Date.parse(e.at)]));
	const spawned = firstSpawn(filer.events);
	const filings = percentiles([...filedAt].filter(([id]) => spawned.has(id)).map(([id, at]) => spawned.get(id) - at));

	// Dependencies: C-2 waits on C-1, C-3 on C-2, ...: each done starts the next.
	const chain = Array.from({length: count}, (_, i) => ({id: `C-${i + 1}`, deps: i === 0 ? [] : [`C-${i}`]}));
	const deps = runBatch(makeBatch(chain, 4), {_sleepMs: 0});
	const doneAt = new Map(deps.events.filter(e => e.type === 'ticket.done').map(e => [e.ticket, Date.parse(e.at)]));
	const depSpawned = firstSpawn(deps.events);
	const unblocked = percentiles(
		chain
			.slice(1)
			.filter(t => depSpawned.has(t.id) && doneAt.has(t.deps[0]))
			.map(t => depSpawned.get(t.id) - doneAt.get(t.deps[0])),
	);

	return {
		filings: filedAt.size,
		gap_ms: gapMs,
		samples: filings.samples,
		p50_ms: filings.p50,
		p90_ms: filings.p90,
		p99_ms: filings.p99,
		max_ms: filings.max,
		dep_samples: unblocked.samples,
		dep_p50_ms: unblocked.p50,
		dep_p90_ms: unblocked.p90,
		dep_p99_ms: unblocked.p99,
		dep_max_ms: unblocked.max,
		false_reverts: falseReverts(filer.events) + falseReverts(deps.events),
		run_exit: `${filer.exit} ${deps.exit}`,
		run_seconds: `${filer.seconds} ${deps.seconds}`,
		goal_p99_ms: 250,
	};
}
