// Dispatch latency: from a ticket being filed (the engine's ticket.filed
// event) to its own agent process being spawned (agent.spawned), over N
// filings made by a real worker through `proofloop ticket file`.
import {mkdirSync, mkdtempSync, readFileSync, readdirSync, writeFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import path from 'node:path';
import {execFileSync, spawnSync} from 'node:child_process';
import {fileURLToPath} from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const count = Number(process.env.PICKUP_FILINGS ?? 100);
// A worker files as it discovers, not in a tight loop: spacing the filings
// measures the dispatch path rather than a saturated 2-core machine's queue.
const gapMs = Number(process.env.PICKUP_GAP_MS ?? 300);

export async function run() {
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
		JSON.stringify({batch: 'b', concurrency: 16, attempts: 1, agent: {type: 'command', command: `node ${root}test/fixtures/agents/fake-agent.mjs {ticket} {attempt}`}, checks: ['test -e README.md'], verifyRetries: 0, agentEnv: {pass: ['FAKE_']}, sandbox: 'none'}),
	);
	writeFileSync(path.join(repo, '.proofloop/tickets/T-1.md'), '---\nid: T-1\ntitle: The filer\nstatus: todo\nbatch: b\n---\nFiles work.\n');
	git('add', '-A');
	git('commit', '-q', '-m', 'init');
	const plan = `${repo}.plan.json`;
	writeFileSync(plan, JSON.stringify({'T-1': 'file-many', _fileCount: count, _fileGapMs: gapMs, _sleepMs: 0}));
	const started = Date.now();
	const result = spawnSync(process.execPath, [`${root}dist/cli.js`, 'run', '--headless'], {cwd: repo, env: {...process.env, FAKE_AGENT_PLAN: plan}, encoding: 'utf8'});
	const wall = (Date.now() - started) / 1000;
	const runs = path.join(repo, '.proofloop/runs');
	const runId = readdirSync(runs).find(name => /^\d/.test(name));
	const events = readFileSync(path.join(runs, runId, 'events.jsonl'), 'utf8').trim().split('\n').map(line => JSON.parse(line));
	const filedAt = new Map(events.filter(e => e.type === 'ticket.filed').map(e => [e.ticket, Date.parse(e.at)]));
	const samples = events
		.filter(e => e.type === 'agent.spawned' && filedAt.has(e.ticket) && e.attempt === 1)
		.map(e => Date.parse(e.at) - filedAt.get(e.ticket));
	samples.sort((a, b) => a - b);
	const pct = p => samples[Math.min(samples.length - 1, Math.ceil((p / 100) * samples.length) - 1)];
	return {
		filings: filedAt.size,
		gap_ms: gapMs,
		samples: samples.length,
		p50_ms: pct(50),
		p90_ms: pct(90),
		p99_ms: pct(99),
		max_ms: samples.at(-1),
		// The engine's own tracker writes must never read as foreign ones (a race once made every done ticket warn).
		false_reverts: events.filter(e => e.type === 'warning' && /which the engine never wrote/.test(e.message)).length,
		run_exit: result.status,
		run_seconds: wall,
		goal_p99_ms: 250,
	};
}
