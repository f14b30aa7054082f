// node scripts/stress-cli.mjs [--calls 2000] [--parallel 6] [--quiet]
//
// Every CLI verb must answer at any moment of a run. Demo runs (spare
// checkouts on, worktrees made and removed all the time) go one after another
// while batches of real `proofloop` processes ask status, oracle, tail and
// report and file worker notes, until --calls calls were made. A call fails
// when its exit code is not one its verb may give mid-run, or when it says
// something only a transient git state would make it say. Prints the tally
// and exits 1 on any failure (each one printed with what it said).
import {spawn} from 'node:child_process';
import {existsSync, mkdtempSync, readdirSync, readFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import path from 'node:path';
import {fileURLToPath} from 'node:url';
import {setTimeout as sleep} from 'node:timers/promises';

const root = fileURLToPath(new URL('..', import.meta.url));
const CLI = path.join(root, 'dist', 'cli.js');
const args = process.argv.slice(2);
const option = (name, fallback) => {
	const i = args.indexOf(`--${name}`);
	return i >= 0 && args[i + 1] !== undefined ? Number(args[i + 1]) : fallback;
};
const total = option('calls', 2000);
const parallel = option('parallel', 6);
const quiet = args.includes('--quiet');
const log = line => {
	if (!quiet) console.log(line);
};

/** Runs one process to its end: exit code and what it printed. */
function run(cmd, argv, opts = {}) {
	return new Promise(resolve => {
		const child = spawn(cmd, argv, {...opts, stdio: ['ignore', 'pipe', 'pipe']});
		let out = '';
		child.stdout.on('data', chunk => (out += chunk));
		child.stderr.on('data', chunk => (out += chunk));
		child.on('close', code => resolve({code: code ?? 1, out}));
	});
}

// What each verb may answer mid-run: the oracle says 0 or 1 (2 is "cannot judge");
// a note may find the engine gone or done, which it must say, not fail on.
const endedRun = /no engine is running|no proofloop engine|cannot reach the engine|run has ended|not running|closed the connection|attempt \d+ of \S+ is over/i;
const verbs = [
	{name: 'status', argv: ['status'], ok: r => r.code === 0},
	{name: 'oracle', argv: ['oracle'], ok: r => r.code === 0 || r.code === 1},
	{name: 'tail', argv: ['tail', 'T-1'], ok: r => r.code === 0},
	{name: 'report', argv: ['report'], ok: r => r.code === 0},
	{name: 'note', argv: ['ticket', 'note', 'stress: a note from outside'], worker: true, ok: r => r.code === 0 || (r.code === 2 && endedRun.test(r.out))},
];
// Said only when a verb tripped over a moment of the run, whatever its exit code.
const transient = /no commits yet|bad object|fatal:|internal error/i;

const tally = Object.fromEntries(verbs.map(v => [v.name, {calls: 0, failures: 0}]));
const failures = [];
let calls = 0;
let runs = 0;
let turn = 0;
const started = Date.now();

while (calls < total) {
	const dir = path.join(mkdtempSync(path.join(tmpdir(), 'pl-stress-')), 'repo');
	const demo = run(process.execPath, [CLI, 'demo', '--dir', dir, '--headless'], {cwd: root});
	let demoDone = false;
	void demo.then(() => (demoDone = true));
	runs++;
	// Ask only once T-1's first log exists, so `tail T-1` has something to show.
	const runsDir = path.join(dir, '.proofloop', 'runs');
	const t1Log = () => existsSync(runsDir) && readdirSync(runsDir).some(id => existsSync(path.join(runsDir, id, 'logs', 'T-1', '1.log')));
	while (!t1Log() && !demoDone) await sleep(50);
	// A worker note needs a worker channel: one of a running attempt's sockets, beside the human channel's (this user may list that private directory).
	const control = () => {
		try {
			const id = readdirSync(runsDir).find(name => existsSync(path.join(runsDir, name, 'control.json')));
			if (!id) return undefined;
			const channels = path.dirname(JSON.parse(readFileSync(path.join(runsDir, id, 'control.json'), 'utf8')).socket);
			const worker = readdirSync(channels).find(name => /^w-.*\.sock$/.test(name));
			return worker ? path.join(channels, worker) : undefined;
		} catch {
			return undefined;
		}
	};
	while (!demoDone && calls < total) {
		const socket = control();
		const batch = [];
		for (let i = 0; i < parallel && calls < total; i++) {
			const verb = verbs[turn++ % verbs.length];
			if (verb.worker && !socket) continue;
			calls++;
			const env = verb.worker ? {...process.env, PROOFLOOP_CONTROL: socket, PROOFLOOP_TICKET: 'T-1'} : process.env;
			batch.push(
				run(process.execPath, [CLI, ...verb.argv], {cwd: dir, env}).then(result => {
					tally[verb.name].calls++;
					if (verb.ok(result) && !transient.test(result.out)) return;
					tally[verb.name].failures++;
					failures.push(`${verb.name} (run ${runs}, exit ${result.code}): ${result.out.trim().slice(0, 400)}`);
					// Said at once too: a long stress run cut short still shows what failed.
					console.log(`  FAILED ${failures.at(-1)}`);
				}),
			);
		}
		await Promise.all(batch);
	}
	const result = await demo;
	log(`demo run ${runs}: exit ${result.code}; ${calls} calls so far, ${failures.length} failed`);
	// The demo's own verdict (0 or 1) is the demo test's business; an engine that could not judge or crashed under the calls is ours.
	if (result.code !== 0 && result.code !== 1)
		failures.push(`the demo run itself (run ${runs}) exited ${result.code}: ${result.out.trim().split('\n').slice(-5).join(' | ')}`);
}

const made = Object.values(tally).reduce((sum, t) => sum + t.calls, 0);
console.log(`stress-cli: ${made} CLI calls during ${runs} demo run(s) in ${((Date.now() - started) / 1000).toFixed(1)}s, ${failures.length} failed`);
for (const [name, t] of Object.entries(tally)) console.log(`  ${name.padEnd(7)} ${t.calls} calls, ${t.failures} failed`);
for (const failure of failures.slice(0, 20)) console.log(`  FAILED ${failure}`);
process.exitCode = failures.length === 0 ? 0 : 1;
