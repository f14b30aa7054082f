// Makespan against its lower bound: a seeded random DAG (bench/lib/schedule-sim.mjs)
// run for real (fake agents that sleep their duration and commit) and simulated
// under five policies. real ÷ simulated-engine is the harness's own cost; the
// simulated policies ÷ bound say how much a better order could win.
// Flags: --seed 1 --tickets 200 --workers 8 --min 1 --max 4 (seconds) --quick.
import {spawnSync} from 'node:child_process';
import {mkdtempSync, writeFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import path from 'node:path';
import {fileURLToPath} from 'node:url';
import {parseArgs} from 'node:util';
import {initBenchRepo, makespanOf, runEvents} from './lib/bench-repo.mjs';
import {timeline} from './lib/run-timeline.mjs';
import {POLICIES, lowerBound, randomDag, simulate} from './lib/schedule-sim.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));

function makeRepo(tickets, workers) {
	const repo = mkdtempSync(path.join(tmpdir(), 'pl-bench-makespan-'));
	const git = initBenchRepo(repo);
	const agent = `node ${root}test/fixtures/agents/fake-agent.mjs {ticket} {attempt}`;
	writeFileSync(
		path.join(repo, '.proofloop/config.json'),
		JSON.stringify({
			batch: 'b',
			concurrency: workers,
			attempts: 1,
			agent: {type: 'command', command: agent},
			checks: ['test -e README.md'],
			verifyRetries: 0,
			agentEnv: {pass: ['FAKE_']},
			sandbox: 'none',
		}),
	);
	for (const t of tickets) {
		const locks = t.locks.length > 0 ? `locks: [${t.locks.join(', ')}]\n` : '';
		writeFileSync(
			path.join(repo, `.proofloop/tickets/${t.id}.md`),
			`---\nid: ${t.id}\ntitle: Ticket ${t.id}\nstatus: todo\nbatch: b\ndeps: [${t.deps.join(', ')}]\n${locks}---\nWork.\n`,
		);
	}
	git('add', '-A');
	git('commit', '-q', '-m', 'init');
	return repo;
}

/** Seconds from run.started to the last ticket.done, from the run's own event log. */
function runForReal(tickets, workers) {
	const repo = makeRepo(tickets, workers);
	const plan = `${repo}.plan.json`;
	writeFileSync(plan, JSON.stringify({_sleepMs: 0, ...Object.fromEntries(tickets.map(t => [`_sleepMs:${t.id}`, Math.round(t.duration * 1000)]))}));
	const result = spawnSync(process.execPath, [`${root}dist/cli.js`, 'run', '--headless'], {
		cwd: repo,
		env: {...process.env, FAKE_AGENT_PLAN: plan},
		encoding: 'utf8',
	});
	const events = runEvents(repo);
	return {exit: result.status, ...makespanOf(events), timeline: timeline(events, workers)};
}

const round = (x, digits = 3) => Math.round(x * 10 ** digits) / 10 ** digits;

export async function run(argv = []) {
	const {values} = parseArgs({
		args: argv,
		options: {
			seed: {type: 'string'},
			tickets: {type: 'string'},
			workers: {type: 'string'},
			min: {type: 'string'},
			max: {type: 'string'},
			quick: {type: 'boolean'},
		},
	});
	const quick = values.quick === true;
	const seed = Number(values.seed ?? 1);
	const count = Number(values.tickets ?? (quick ? 6 : 200));
	const workers = Number(values.workers ?? (quick ? 2 : 8));
	const min = Number(values.min ?? (quick ? 0.1 : 1));
	const max = Number(values.max ?? (quick ? 0.2 : 4));
	const tickets = randomDag({seed, tickets: count, min, max});
	const bound = lowerBound(tickets, workers);
	const simulated = Object.fromEntries(POLICIES.map(policy => [policy, simulate(tickets, workers, policy)]));
	const real = runForReal(tickets, workers);
	const rows = [{schedule: 'real run (engine)', seconds: round(real.seconds, 2), 'vs bound': round(real.seconds / bound.bound)}];
	for (const policy of POLICIES)
		rows.push({schedule: `simulated ${policy}`, seconds: round(simulated[policy], 2), 'vs bound': round(simulated[policy] / bound.bound)});
	console.log(
		`seed ${seed}, ${count} tickets of ${min}–${max} s, ${workers} workers, ${tickets.filter(t => t.locks.length > 0).length} hold infra; bound ${round(bound.bound, 2)} s (critical path ${round(bound.criticalPath, 2)}, work/workers ${round(bound.workPerWorker, 2)}, locked work ${round(bound.lockedWork, 2)})`,
	);
	console.table(rows);
	return {
		seed,
		tickets: count,
		workers,
		min_s: min,
		max_s: max,
		bound_s: round(bound.bound, 2),
		real_s: round(real.seconds, 2),
		real_vs_bound: round(real.seconds / bound.bound),
		real_vs_simulated_engine: round(real.seconds / simulated.engine),
		simulated_vs_bound: Object.fromEntries(POLICIES.map(p => [p, round(simulated[p] / bound.bound)])),
		// Where the real run's time went (bench/lib/run-timeline.mjs): the harness's part of real ÷ simulated.
		...real.timeline,
		run_exit: real.exit,
		tickets_done: real.done,
	};
}
