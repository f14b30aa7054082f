import {execFileSync, spawnSync} from 'node:child_process';
import {existsSync, mkdtempSync, readFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import path from 'node:path';
import {afterAll, describe, expect, it} from 'vitest';

// The TUI as a person uses it: the real CLI in a real tmux, keys sent with
// send-keys, the screen read with capture-pane.

const CLI = path.resolve('dist/cli.js');
const session = `pl-e2e-${process.pid}`;
const tmux = (...args: string[]) => execFileSync('tmux', args, {encoding: 'utf8'});
const screen = () => tmux('capture-pane', '-t', session, '-p');
const keys = (...k: string[]) => tmux('send-keys', '-t', session, ...k);
const sleep = (ms: number) => new Promise(resolve => setTimeout(resolve, ms));

async function waitForScreen(predicate: (text: string) => boolean, what: string, timeoutMs = 60_000): Promise<string> {
	const until = Date.now() + timeoutMs;
	for (;;) {
		const text = screen();
		if (predicate(text)) return text;
		if (Date.now() > until) throw new Error(`timed out waiting for ${what}; the screen was:\n${text}`);
		await sleep(150);
	}
}

const events = (repo: string) => {
	const runs = path.join(repo, '.proofloop/runs');
	const id = execFileSync('ls', [runs], {encoding: 'utf8'})
		.split('\n')
		.find(name => /^\d/.test(name));
	return readFileSync(path.join(runs, id!, 'events.jsonl'), 'utf8')
		.trim()
		.split('\n')
		.map(line => JSON.parse(line) as {type: string; ticket?: string; kind?: string});
};

const hasTmux = spawnSync('tmux', ['-V']).status === 0;

afterAll(() => {
	spawnSync('tmux', ['kill-session', '-t', session]);
});

describe.skipIf(!hasTmux)('the TUI in tmux', () => {
	it('shows parallel panes and the ready set; pauses, resumes, gates, detaches and re-attaches; the run ends at oracle 0 and its summary stays until a key, as it does on attaching to the ended run', async () => {
		const repo = path.join(mkdtempSync(path.join(tmpdir(), 'pl-tui-')), 'demo');
		const exitFile = `${repo}.exit`;
		tmux('new-session', '-d', '-s', session, '-x', '140', '-y', '45', '-e', 'PROOFLOOP_DEMO_STEP_MS=1500');
		keys(`node ${CLI} demo --dir ${repo}; echo $? > ${exitFile}`, 'Enter');

		// Two worker panes at once, and a ready set.
		let text = await waitForScreen(t => (t.match(/[⠁-⣿] T-\d+ /g) ?? []).length >= 2 && /READY \d/.test(t), 'two running panes and a ready set');
		expect(text).toMatch(/RUNNING/);

		// Pause: no new dispatch while paused.
		keys('p');
		await waitForScreen(t => /PAUSED/.test(t), 'PAUSED in the header');
		const startedAtPause = events(repo).filter(e => e.type === 'attempt.started').length;
		await sleep(3000);
		const pausedAt = events(repo).findIndex(e => e.type === 'intervention' && e.kind === 'pause');
		expect(
			events(repo)
				.slice(pausedAt)
				.filter(e => e.type === 'attempt.started'),
		).toHaveLength(0);
		expect(events(repo).filter(e => e.type === 'attempt.started').length).toBe(startedAtPause);
		keys('p');
		await waitForScreen(t => /RUNNING/.test(t.split('\n')[0] ?? '') && !/PAUSED/.test(t.split('\n')[0] ?? ''), 'RUNNING again');

		// Gate T-6 (late in the diamond: not started yet) from the TUI: select it, g, a reason, enter, y.
		for (let i = 0; i < 25 && !/› T-6 /.test(screen()); i++) {
			keys('Down');
			await sleep(150);
		}
		expect(screen()).toMatch(/› T-6 /);
		keys('g');
		await waitForScreen(t => /gate T-6: reason>/.test(t), 'the gate prompt');
		keys('-l', 'needs a human with cloud access');
		keys('Enter');
		await waitForScreen(t => /y\/n/.test(t), 'the confirmation');
		keys('y');
		// In the gated group, counted as an intervention (the gate; pause and resume are controls), and out of what holds the oracle back.
		await waitForScreen(
			t => /HUMAN-GATED 1/.test(t) && /T-6\s+human-gated/.test(t) && /\b1 intervention\b/.test(t) && /oracle exit 1/.test(t) && !/held back by .*T-6\b/.test(t),
			"T-6 human-gated on screen and out of the oracle's list",
		);

		// Detach: the run goes on.
		keys('d');
		await waitForScreen(t => /detached/i.test(t), 'the detach message');
		const status = JSON.parse(execFileSync(process.execPath, [CLI, 'status', '--json'], {cwd: repo, encoding: 'utf8'}));
		expect(status.engine).toBe('running');
		// Hold the run (from another terminal's CLI) so it is still there to re-attach to, whatever the machine's speed.
		execFileSync(process.execPath, [CLI, 'pause'], {cwd: repo, encoding: 'utf8'});
		// Re-attach from the same terminal.
		await waitForScreen(t => existsSync(exitFile) && /\$ ?$/m.test(t), 'the shell prompt', 20_000).catch(() => screen());
		keys(`cd ${repo} && node ${CLI} attach; echo ATTACH_EXIT=$?`, 'Enter');
		await waitForScreen(t => /proofloop\s+batch demo/.test(t) && /PAUSED/.test(t), 'the TUI again, paused');
		keys('p');
		// The finished run leaves its summary on screen until a key.
		text = await waitForScreen(t => /press any key to close/.test(t), 'the end-of-run summary', 120_000);
		expect(text).toMatch(/RUN FINISHED · oracle exit 0/);
		// run.finished rang the terminal bell (config notify.bell, on by default).
		expect(tmux('display-message', '-p', '-t', session, '#{window_bell_flag}').trim()).toBe('1');
		expect(text).toMatch(/ticket\s+status\s+attempts\s+time\s+cost\s+title/);
		expect(text).toMatch(/T-6\s+human_gated/);
		expect(text).toMatch(/T-1\s+done\s+1\/3\s+\d\d:\d\d\s+n\/a\s+Split text/);
		expect(text).toMatch(/the finish line caught: .*checks 1/);
		expect(text).toMatch(/interventions: \d+ \(.*gate 1/);
		expect(text).toMatch(/gate T-6 by .*: needs a human with cloud access/);
		await sleep(3000);
		expect(screen()).toMatch(/press any key to close/);
		expect(screen()).not.toMatch(/ATTACH_EXIT/);
		keys('x');
		text = await waitForScreen(t => /ATTACH_EXIT=\d+/.test(t), 'the screen to close on a key');
		expect(text).toMatch(/ATTACH_EXIT=0/);
		expect(text).toMatch(/the run stopped \(finished\): oracle exit 0/);
		// Attaching to the run that ended shows the same summary, until a key.
		keys('clear', 'Enter');
		keys(`node ${CLI} attach; echo AGAIN_EXIT=$?`, 'Enter');
		text = await waitForScreen(t => /press any key to close/.test(t) && /RUN FINISHED · oracle exit 0/.test(t), 'the summary of the ended run');
		expect(text).toMatch(/gate T-6 by /);
		keys('Enter');
		text = await waitForScreen(t => /AGAIN_EXIT=\d+/.test(t), 'attach to close on a key');
		expect(text).toMatch(/AGAIN_EXIT=0/);
		const oracle = spawnSync(process.execPath, [CLI, 'oracle', '--json'], {cwd: repo, encoding: 'utf8'});
		expect(oracle.status).toBe(0);
		expect(JSON.parse(oracle.stdout).tickets.find((t: {id: string}) => t.id === 'T-6')).toMatchObject({status: 'human_gated', passing: true});
	});
});
