// TUI responsiveness under a flood: 4 workers each printing 5,000 lines/s for
// 60 s (TUI_SECONDS), the real `proofloop attach` in a real tmux. Measures
// key-to-screen latency (the `?` help overlay appearing and disappearing, read
// back with capture-pane) and the TUI process's RSS once a second; flat (#14)
// means the value at the end is at most 1.1 x the value 10 s in.
// --load: the same while one busy loop per core saturates the machine.
// TUI_NODE_ARGS: extra node flags for the attach process (--cpu-prof, --heapsnapshot-signal=SIGUSR2).
import {execFileSync, spawnSync} from 'node:child_process';
import {mkdirSync, mkdtempSync, readFileSync, writeFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import path from 'node:path';
import {fileURLToPath} from 'node:url';
import {withOptionalLoad} from './lib/load.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const seconds = Number(process.env.TUI_SECONDS ?? 60);
const nodeArgs = process.env.TUI_NODE_ARGS ?? '';
// The rule: RSS at the end within 10% of RSS this far into the flood.
const settleSeconds = 10;
const minKeySamples = 30;
const perSecond = Number(process.env.TUI_LINES_PER_SECOND ?? 5000);
const sleep = ms => new Promise(resolve => setTimeout(resolve, ms));
const tmux = (...args) => execFileSync('tmux', args, {encoding: 'utf8'});

function rssMb(pid) {
	const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
	return match ? Number(match[1]) / 1024 : NaN;
}

export async function run(argv = []) {
	return withOptionalLoad(argv, measure);
}

async function measure() {
	const repo = mkdtempSync(path.join(tmpdir(), 'pl-bench-tui-'));
	const git = (...args) => execFileSync('git', args, {cwd: repo});
	git('init', '-q', '-b', 'main');
	git('config', 'user.name', 'bench');
	git('config', 'user.email', 'bench@proofloop.invalid');
	mkdirSync(path.join(repo, '.proofloop/tickets'), {recursive: true});
	writeFileSync(path.join(repo, 'README.md'), '# bench\n');
	writeFileSync(path.join(repo, '.gitignore'), '.proofloop/runs/\n.proofloop/worktrees/\n');
	const ids = ['W-1', 'W-2', 'W-3', 'W-4'];
	writeFileSync(
		path.join(repo, '.proofloop/config.json'),
		JSON.stringify({
			batch: 'b',
			concurrency: 4,
			attempts: 1,
			attemptTimeoutSeconds: seconds + 60,
			agent: {type: 'command', command: `node ${root}test/fixtures/agents/fake-agent.mjs {ticket} {attempt}`},
			checks: ['test -e README.md'],
			verifyRetries: 0,
			agentEnv: {pass: ['FAKE_']},
			sandbox: 'none',
		}),
	);
	for (const id of ids)
		writeFileSync(path.join(repo, `.proofloop/tickets/${id}.md`), `---\nid: ${id}\ntitle: Spam ${id}\nstatus: todo\nbatch: b\n---\nPrint a lot.\n`);
	git('add', '-A');
	git('commit', '-q', '-m', 'init');
	const plan = `${repo}.plan.json`;
	writeFileSync(
		plan,
		JSON.stringify({...Object.fromEntries(ids.map(id => [id, 'spam'])), _linesPerSecond: perSecond, _spamSeconds: seconds + 15, _sleepMs: 0}),
	);
	const env = {...process.env, FAKE_AGENT_PLAN: plan};
	const cli = `${root}dist/cli.js`;
	execFileSync(process.execPath, [cli, 'run', '--detach'], {cwd: repo, env});

	const session = `pl-bench-tui-${process.pid}`;
	tmux('new-session', '-d', '-s', session, '-x', '160', '-y', '48', '-c', repo);
	tmux('send-keys', '-t', session, `node ${nodeArgs} ${cli} attach`, 'Enter');
	const screen = () => tmux('capture-pane', '-t', session, '-p');
	// Wait for all four panes to be printing.
	const started = Date.now();
	while (!(screen().match(/line \d+ of W-\d/g)?.length >= 4)) {
		if (Date.now() - started > 30_000) throw new Error(`the TUI never showed 4 busy panes:\n${screen()}`);
		await sleep(100);
	}
	const shellPid = tmux('list-panes', '-t', session, '-F', '#{pane_pid}').trim();
	const tuiPid = execFileSync('pgrep', ['-P', shellPid, '-f', 'cli.js attach'], {encoding: 'utf8'}).trim().split('\n')[0];
	const t0 = performance.now();
	// RSS once a second, with its time: a leak climbs all along; a heap settling in climbs, then levels off.
	const rssSamples = [{at: 0, mb: rssMb(tuiPid)}];
	const sampler = setInterval(() => {
		try {
			rssSamples.push({at: (performance.now() - t0) / 1000, mb: rssMb(tuiPid)});
		} catch {
			// the TUI is gone
		}
	}, 1000);
	const latencies = [];
	const deadline = t0 + Math.max(settleSeconds + 5, seconds - 4) * 1000;
	while (performance.now() < deadline || latencies.length < minKeySamples) {
		for (const [key, visible] of [
			['?', true],
			['Escape', false],
		]) {
			const sent = performance.now();
			tmux('send-keys', '-t', session, key);
			// Poll the screen as fast as tmux answers until the overlay is (not) there.
			while (screen().includes('this help (any key closes it)') !== visible) {
				if (performance.now() - sent > 5000) break;
			}
			latencies.push(performance.now() - sent);
			// Let the RSS sampler's timer run between presses (the polling above is synchronous).
			await sleep(150);
		}
	}
	clearInterval(sampler);
	rssSamples.push({at: (performance.now() - t0) / 1000, mb: rssMb(tuiPid)});
	const rssEnd = rssSamples.at(-1).mb;
	// The sample nearest to 10 s into the flood.
	const rssSettled = rssSamples.reduce((best, s) => (Math.abs(s.at - settleSeconds) < Math.abs(best.at - settleSeconds) ? s : best)).mb;
	const rssPeak = Math.max(...rssSamples.map(s => s.mb));
	tmux('send-keys', '-t', session, 'd');
	await sleep(300);
	spawnSync('tmux', ['kill-session', '-t', session]);
	spawnSync(process.execPath, [cli, 'stop'], {cwd: repo, env});
	latencies.sort((a, b) => a - b);
	const pct = p => Math.round(latencies[Math.min(latencies.length - 1, Math.ceil((p / 100) * latencies.length) - 1)]);
	return {
		panes: 4,
		lines_per_second_per_pane: perSecond,
		seconds,
		key_samples: latencies.length,
		key_to_screen_p50_ms: pct(50),
		key_to_screen_p99_ms: pct(99),
		key_to_screen_max_ms: Math.round(latencies.at(-1)),
		rss_start_mb: Math.round(rssSamples[0].mb),
		rss_at_10s_mb: Math.round(rssSettled),
		rss_end_mb: Math.round(rssEnd),
		rss_peak_mb: Math.round(rssPeak),
		rss_end_over_10s: Number((rssEnd / rssSettled).toFixed(3)),
		rss_flat: rssEnd <= rssSettled * 1.1,
		rss_samples_mb: rssSamples.map(s => Math.round(s.mb)).join(' '),
		goal_key_p99_ms: 100,
		key_ok: pct(99) <= 100,
	};
}
