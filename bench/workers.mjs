// Workers beyond one machine (#17): a wide DAG of sleeping agents run once by the local
// engine at concurrency 2 and once through the queue by three `proofloop worker`
// processes at concurrency 2 each (the coordinator lets 6 agents run at once), in the
// same run of this bench, against one real redis-server. Prints the makespan ratio
// (queue ÷ local; the goal: at most 0.4). Flags: --tickets 24 --sleep 3000 --quick.
import {execFileSync, spawn, spawnSync} from 'node:child_process';
import {mkdirSync, mkdtempSync, writeFileSync} from 'node:fs';
import {createServer} from 'node:net';
import {tmpdir} from 'node:os';
import path from 'node:path';
import {fileURLToPath} from 'node:url';
import {parseArgs} from 'node:util';
import {initBenchRepo, makespanOf, runEvents} from './lib/bench-repo.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const cli = `${root}dist/cli.js`;
const fakeAgent = `${root}test/fixtures/agents/fake-agent.mjs`;

const freePort = () =>
	new Promise(resolve => {
		const server = createServer().listen(0, '127.0.0.1', () => {
			const {port} = server.address();
			server.close(() => resolve(port));
		});
	});

async function startRedis() {
	const port = await freePort();
	const dir = mkdtempSync(path.join(tmpdir(), 'pl-bench-redis-'));
	const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir], {stdio: 'ignore'});
	for (let i = 0; i < 100; i++) {
		if (spawnSync('redis-cli', ['-p', String(port), 'ping'], {encoding: 'utf8'}).stdout.trim() === 'PONG') break;
		await new Promise(resolve => setTimeout(resolve, 100));
	}
	return {url: `redis://127.0.0.1:${port}/0`, stop: () => child.kill('SIGKILL')};
}

function makeRepo(count, executor, concurrency, sleepMs) {
	const top = mkdtempSync(path.join(tmpdir(), 'pl-bench-workers-'));
	const repo = path.join(top, 'repo');
	const git = initBenchRepo(repo);
	writeFileSync(
		path.join(repo, '.proofloop/config.json'),
		JSON.stringify({
			batch: 'b',
			concurrency,
			attempts: 1,
			agent: {type: 'command', command: `node ${fakeAgent} {ticket} {attempt}`},
			checks: ['test -e README.md'],
			verifyRetries: 0,
			agentEnv: {pass: ['FAKE_']},
			selfHeal: {max: 0},
			// Both sides unsandboxed (the plan file is under /tmp, which a box hides); the workers accept it with --unsandboxed.
			sandbox: 'none',
			...(executor ? {executor} : {}),
		}),
	);
	// Wide: every ticket ready at once, one in eight waits on the first (a shallow DAG, as a real backlog).
	for (let i = 1; i <= count; i++) {
		const deps = i > 1 && i % 8 === 0 ? 'deps: [T-1]\n' : '';
		writeFileSync(path.join(repo, `.proofloop/tickets/T-${i}.md`), `---\nid: T-${i}\ntitle: Ticket ${i}\nstatus: todo\nbatch: b\n${deps}---\nWork.\n`);
	}
	git('add', '-A');
	git('commit', '-q', '-m', 'init');
	const plan = path.join(top, 'plan.json');
	writeFileSync(plan, JSON.stringify({_sleepMs: sleepMs}));
	return {top, repo, plan};
}

function runEngine(repo, plan) {
	const result = spawnSync(process.execPath, [cli, 'run', '--headless'], {cwd: repo, env: {...process.env, FAKE_AGENT_PLAN: plan}, encoding: 'utf8'});
	return {exit: result.status, ...makespanOf(runEvents(repo))};
}

export async function run(argv = []) {
	const {values} = parseArgs({args: argv, options: {tickets: {type: 'string'}, sleep: {type: 'string'}, quick: {type: 'boolean'}}});
	const count = Number(values.tickets ?? (values.quick ? 6 : 24));
	const sleepMs = Number(values.sleep ?? (values.quick ? 500 : 3000));
	const local = makeRepo(count, undefined, 2, sleepMs);
	const localRun = runEngine(local.repo, local.plan);

	const redis = await startRedis();
	const remote = path.join(mkdtempSync(path.join(tmpdir(), 'pl-bench-remote-')), 'remote.git');
	execFileSync('git', ['init', '-q', '--bare', '-b', 'main', remote]);
	const queued = makeRepo(count, {kind: 'queue', url: redis.url, remote}, 6, sleepMs);
	const workers = [1, 2, 3].map(n => {
		const dir = path.join(queued.top, `worker-${n}`);
		mkdirSync(dir);
		return spawn(process.execPath, [cli, 'worker', '--queue', redis.url, '--remote', remote, '--concurrency', '2', '--dir', dir, '--unsandboxed'], {
			cwd: dir,
			stdio: 'ignore',
			env: {...process.env, FAKE_AGENT_PLAN: queued.plan},
		});
	});
	let queueRun;
	try {
		queueRun = runEngine(queued.repo, queued.plan);
	} finally {
		for (const worker of workers) worker.kill('SIGKILL');
		redis.stop();
	}
	const rows = [
		{how: 'local engine, concurrency 2', seconds: localRun.seconds, done: localRun.done, run_exit: localRun.exit},
		{how: '3 workers x concurrency 2 (queue)', seconds: queueRun.seconds, done: queueRun.done, run_exit: queueRun.exit},
	];
	console.table(rows);
	const ratio = Math.round((queueRun.seconds / localRun.seconds) * 1000) / 1000;
	return {tickets: count, agent_sleep_ms: sleepMs, rows, ratio, ideal: Math.round((2 / 6) * 1000) / 1000, goal: 'ratio <= 0.4'};
}
