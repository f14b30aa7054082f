import {execFileSync, spawnSync} from 'node:child_process';
import {mkdirSync, mkdtempSync, readFileSync, writeFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import path from 'node:path';
import {afterAll, describe, expect, it} from 'vitest';

// The TUI over four workers printing 5,000 lines a second each (#14), as a
// person sees it: the real CLI in a real tmux, keys with send-keys, the screen
// with capture-pane. The panes follow the flood, keys still answer, and the
// process's memory levels off instead of climbing with every frame.

const CLI = path.resolve('dist/cli.js');
const AGENT = path.resolve('test/fixtures/agents/fake-agent.mjs');
const session = `pl-e2e-flood-${process.pid}`;
const tmux = (...args: string[]) => execFileSync('tmux', args, {encoding: 'utf8'});
const screen = () => tmux('capture-pane', '-t', session, '-p');
const keys = (...k: string[]) => tmux('send-keys', '-t', session, ...k);
const sleep = (ms: number) => new Promise(resolve => setTimeout(resolve, ms));
const rssMb = (pid: string): number => Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]) / 1024;
const HELP = 'this help (any key closes it)';

async function waitForScreen(predicate: (text: string) => boolean, what: string, timeoutMs = 60_000): Promise<string> {
	const until = Date.now() + timeoutMs;
	for (;;) {
		const text = screen();
		if (predicate(text)) return text;
		if (Date.now() > until) throw new Error(`timed out waiting for ${what}; the screen was:\n${text}`);
		await sleep(100);
	}
}

/** The highest line number a pane of `ticket` shows. */
const newestShown = (text: string, ticket: string): number =>
	Math.max(0, ...[...text.matchAll(new RegExp(`line (\\d+) of ${ticket}`, 'g'))].map(m => Number(m[1])));

const hasTmux = spawnSync('tmux', ['-V']).status === 0;
let repo = '';

afterAll(() => {
	spawnSync('tmux', ['kill-session', '-t', session]);
	if (repo) spawnSync(process.execPath, [CLI, 'stop'], {cwd: repo});
});

describe.skipIf(!hasTmux)('the TUI under a flood, in tmux', () => {
	it('follows four panes at 5,000 lines/s each, answers keys, and its memory levels off', async () => {
		repo = mkdtempSync(path.join(tmpdir(), 'pl-tui-flood-'));
		const git = (...args: string[]) => execFileSync('git', args, {cwd: repo});
		git('init', '-q', '-b', 'main');
		git('config', 'user.name', 'e2e');
		git('config', 'user.email', 'e2e@proofloop.invalid');
		mkdirSync(path.join(repo, '.proofloop/tickets'), {recursive: true});
		writeFileSync(path.join(repo, 'README.md'), '# flood\n');
		writeFileSync(path.join(repo, '.gitignore'), '.proofloop/runs/\n.proofloop/worktrees/\n');
		const ids = ['W-1', 'W-2', 'W-3', 'W-4'];
		writeFileSync(
			path.join(repo, '.proofloop/config.json'),
			JSON.stringify({
				batch: 'b',
				concurrency: 4,
				attempts: 1,
				attemptTimeoutSeconds: 300,
				agent: {type: 'command', command: `node ${AGENT} {ticket} {attempt}`},
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
		writeFileSync(plan, JSON.stringify({...Object.fromEntries(ids.map(id => [id, 'spam'])), _linesPerSecond: 5000, _spamSeconds: 60, _sleepMs: 0}));
		execFileSync(process.execPath, [CLI, 'run', '--detach'], {cwd: repo, env: {...process.env, FAKE_AGENT_PLAN: plan}});

		tmux('new-session', '-d', '-s', session, '-x', '160', '-y', '48', '-c', repo);
		keys(`node ${CLI} attach`, 'Enter');
		await waitForScreen(t => ids.every(id => new RegExp(`line \\d+ of ${id}`).test(t)), 'all four panes printing');
		const shellPid = tmux('list-panes', '-t', session, '-F', '#{pane_pid}').trim();
		const tuiPid = execFileSync('pgrep', ['-P', shellPid, '-f', 'cli.js attach'], {encoding: 'utf8'}).trim().split('\n')[0]!;

		// The panes follow: each one's newest line moves on, by thousands.
		const before = newestShown(screen(), 'W-1');
		await waitForScreen(t => newestShown(t, 'W-1') > before + 2000, 'W-1 to move on by 2,000 lines');

		// Keys answer while it floods: the help opens and closes, again and again.
		// RSS settles in the first seconds (V8's young generation grows to its size); from then on it must hold level.
		let settledRss = 0;
		let peakRss = 0;
		const started = Date.now();
		while (Date.now() - started < 15_000 || settledRss === 0) {
			if (settledRss === 0 && Date.now() - started > 5000) settledRss = rssMb(tuiPid);
			if (settledRss > 0) peakRss = Math.max(peakRss, rssMb(tuiPid));
			keys('?');
			await waitForScreen(t => t.includes(HELP), 'the help to open', 10_000);
			keys('x');
			await waitForScreen(t => !t.includes(HELP) && /line \d+ of W-1/.test(t), 'the help to close', 10_000);
		}
		// Memory: Ink's frames allocated per screen cell and RSS climbed ~50% in 15 s of this (130 -> 197 MB; the peak, not a sample a GC
		// just lowered); now it holds level within a few % once settled (bench tui: end/10 s 1.00-1.07), so the line sits between.
		expect(Math.max(peakRss, rssMb(tuiPid))).toBeLessThanOrEqual(settledRss * 1.3);

		// Zoomed, one worker fills the screen with its newest lines, and they follow the flood (a tail never holds fewer lines than the terminal shows).
		keys('Enter');
		const zoomed = await waitForScreen(
			t => new Set(t.match(/line \d+ of W-\d/g)?.map(line => line.slice(-3))).size === 1 && (t.match(/line \d+ of W-\d/g)?.length ?? 0) >= 30,
			"a zoomed pane full of one worker's lines",
		);
		const ticket = /line \d+ of (W-\d)/.exec(zoomed)![1]!;
		await waitForScreen(t => newestShown(t, ticket) > newestShown(zoomed, ticket) + 1000, 'the zoomed pane to follow its worker');
		keys('Escape');

		keys('d');
		await waitForScreen(t => /detached: the run goes on/.test(t), 'the detach message');
	}, 180_000);
});
