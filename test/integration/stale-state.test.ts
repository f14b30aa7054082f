import {execFileSync, spawnSync} from 'node:child_process';
import {existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync} from 'node:fs';
import {hostname, tmpdir} from 'node:os';
import path from 'node:path';
import {execa} from 'execa';
import {describe, expect, it} from 'vitest';
import {probeBwrap} from '../../source/agents/sandbox.js';
import {readEventLog} from '../../source/core/event-log.js';
import {findRunProcesses} from '../../source/process/orphans.js';
import {listRuns} from '../../source/core/run-dir.js';
import {CLI, makeRepo, runCli, runEvents, ticketText} from '../helpers/repo.js';

const git = (cwd: string, ...args: string[]) => execFileSync('git', args, {cwd, encoding: 'utf8'}).trim();
const status = (root: string, id: string) => /^status: (\S+)$/m.exec(readFileSync(path.join(root, `.proofloop/tickets/${id}.md`), 'utf8'))?.[1];

describe('the bad-input rows that need a repository in a particular state', () => {
	it('a repository with no commits is refused with the fix, and nothing is written', async () => {
		const root = mkdtempSync(path.join(tmpdir(), 'pl-nocommit-'));
		git(root, 'init', '-q', '-b', 'main');
		mkdirSync(path.join(root, '.proofloop/tickets'), {recursive: true});
		writeFileSync(path.join(root, '.proofloop/config.json'), JSON.stringify({batch: 'b', checks: ['test -e README.md']}));
		writeFileSync(path.join(root, '.proofloop/tickets/A.md'), ticketText({id: 'A'}));
		const files = ['.proofloop/config.json', '.proofloop/tickets/A.md'].map(f => readFileSync(path.join(root, f)));
		const result = await runCli(root, ['run', '--headless']);
		expect(result.exitCode).toBe(2);
		expect(result.stderr).toMatch(/has no commits yet; fix: commit something first \(git add -A && git commit -m init\)/);
		expect(existsSync(path.join(root, '.proofloop/runs'))).toBe(false);
		expect(git(root, 'status', '--porcelain')).toBe('?? .proofloop/');
		// The config and the tracker byte for byte; base still unborn, no ticket branch, no worktree.
		expect(['.proofloop/config.json', '.proofloop/tickets/A.md'].map(f => readFileSync(path.join(root, f)))).toEqual(files);
		expect(git(root, 'for-each-ref')).toBe('');
		expect(git(root, 'worktree', 'list', '--porcelain').match(/^worktree /gm)).toHaveLength(1);
		expect(existsSync(path.join(root, '.proofloop/worktrees'))).toBe(false);
	});

	it('--allow-dirty over an uncommitted edit to a file a ticket changes: the checkout is left exactly as the person has it (HEAD detached where their files are, nothing staged), said whole in the output, status and report; the catch-up command works once the edit is out of the way', async () => {
		const {root, plan} = makeRepo({tickets: [{id: 'A'}, {id: 'B', deps: ['A']}]});
		mkdirSync(path.join(root, 'work'));
		writeFileSync(path.join(root, 'work/A.txt'), 'committed before the run\n');
		git(root, 'add', '-A');
		git(root, 'commit', '-q', '-m', 'seed work/A.txt');
		const start = git(root, 'rev-parse', 'HEAD');
		writeFileSync(path.join(root, 'work/A.txt'), 'my edit, not committed\n');
		const result = await runCli(root, ['run', '--headless', '--allow-dirty'], {FAKE_AGENT_PLAN: plan});
		expect(result.exitCode).toBe(0);
		// Base has both merges; the checkout is where the person's files are, with exactly their edit and nothing staged.
		expect(git(root, 'show', 'main:work/A.txt')).toMatch(/done by attempt 1/);
		expect(git(root, 'show', 'main:work/B.txt')).toMatch(/done by attempt 1/);
		expect(readFileSync(path.join(root, 'work/A.txt'), 'utf8')).toBe('my edit, not committed\n');
		expect(git(root, 'rev-parse', 'HEAD')).toBe(start);
		expect(spawnSync('git', ['symbolic-ref', '-q', 'HEAD'], {cwd: root}).status).toBe(1);
		expect(git(root, 'diff', '--cached')).toBe('');
		expect(git(root, 'diff', '--name-only', '--', '.', ':(exclude).proofloop/tickets')).toBe('work/A.txt');
		// Said whole: the headless line (longer than the old 200-character cut), status and the report, each with the catch-up command.
		const line = result.stdout.split('\n').find(l => l.includes('WARNING: your checkout')) ?? '';
		expect(line.length).toBeGreaterThan(200);
		expect(line).toMatch(
			new RegExp(
				`your checkout ${root} was NOT brought up to main: main moved to \\w+ \\(the merge of A\\).*'work/A\\.txt' not uptodate.*HEAD detached at ${start.slice(0, 12)}.*catch up: git -C "${root}" checkout main .*stash -u.*stash pop\\)$`,
			),
		);
		const status = await runCli(root, ['status']);
		expect(status.stdout).toContain(line.slice(line.indexOf('your checkout')));
		const report = readFileSync(path.join(listRuns(root)[0]!.dir, 'report.md'), 'utf8');
		expect(report).toContain(line.slice(line.indexOf('your checkout')));
		expect(report).toMatch(/started with --allow-dirty over your uncommitted changes in .* \( M work\/A\.txt\)/);
		// The person puts the edit aside and runs the catch-up command, verbatim.
		git(root, 'stash', '-q');
		execFileSync('sh', ['-c', line.slice(line.indexOf('catch up: ') + 'catch up: '.length).replace(/ {3}\(if git refuses.*$/, '')], {
			cwd: root,
			stdio: 'ignore',
		});
		expect(git(root, 'symbolic-ref', 'HEAD')).toBe('refs/heads/main');
		expect(readFileSync(path.join(root, 'work/A.txt'), 'utf8')).toMatch(/done by attempt 1/);
		expect(git(root, 'diff', '--cached')).toBe('');
	});

	it("--allow-dirty with an unrelated edit and an untracked file a merge would overwrite: nothing of the person's is touched, the checkout is kept where git refused, and nothing is ever staged", async () => {
		const {root, plan} = makeRepo({tickets: [{id: 'A'}, {id: 'B'}]});
		writeFileSync(path.join(root, 'README.md'), '# test repo\n\nmy notes, not committed\n');
		mkdirSync(path.join(root, 'work'));
		writeFileSync(path.join(root, 'work/B.txt'), 'my own B, untracked\n');
		const result = await runCli(root, ['run', '--headless', '--allow-dirty'], {FAKE_AGENT_PLAN: plan});
		expect(result.exitCode).toBe(0);
		// Nothing of the user's was touched.
		expect(readFileSync(path.join(root, 'README.md'), 'utf8')).toBe('# test repo\n\nmy notes, not committed\n');
		expect(readFileSync(path.join(root, 'work/B.txt'), 'utf8')).toBe('my own B, untracked\n');
		// Base has both merges; the collision is said, with the command that catches up.
		expect(git(root, 'show', 'main:work/A.txt')).toMatch(/done by attempt 1/);
		expect(git(root, 'show', 'main:work/B.txt')).toMatch(/done by attempt 1/);
		const kept = runEvents(root).find(e => e.type === 'checkout.kept');
		expect(kept?.type === 'checkout.kept' && kept.ticket).toBe('B');
		expect(kept?.type === 'checkout.kept' ? kept.reason : '').toMatch(/work\/B\.txt/);
		expect(git(root, 'rev-parse', 'HEAD')).toBe(kept?.type === 'checkout.kept' ? kept.kept : '');
		expect(git(root, 'diff', '--cached')).toBe('');
		expect(git(root, 'diff', '--name-only', '--', '.', ':(exclude).proofloop/tickets')).toBe('README.md');
	});

	it('a stale run lock from a dead engine is recovered; a live one is refused with the attach command', async () => {
		const {root, plan} = makeRepo({tickets: [{id: 'A'}]});
		mkdirSync(path.join(root, '.proofloop/runs'), {recursive: true});
		const dead = execFileSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], {encoding: 'utf8'});
		const lock = path.join(root, '.proofloop/runs/engine.lock');
		writeFileSync(lock, JSON.stringify({pid: Number(dead), host: hostname(), runId: 'old', startedAt: new Date().toISOString()}));
		const result = await runCli(root, ['run', '--headless'], {FAKE_AGENT_PLAN: plan});
		expect(result.exitCode).toBe(0);
		expect(existsSync(lock)).toBe(false);

		const live = makeRepo({tickets: [{id: 'A'}]});
		mkdirSync(path.join(live.root, '.proofloop/runs'), {recursive: true});
		writeFileSync(
			path.join(live.root, '.proofloop/runs/engine.lock'),
			JSON.stringify({pid: process.pid, host: hostname(), runId: 'r1', startedAt: new Date().toISOString()}),
		);
		const refused = await runCli(live.root, ['run', '--headless'], {FAKE_AGENT_PLAN: live.plan});
		expect(refused.exitCode).toBe(2);
		expect(refused.stderr).toMatch(
			new RegExp(`another proofloop engine is running in this repo \\(pid ${process.pid}[\\s\\S]*fix: watch it with \`proofloop attach\``),
		);
	});

	it('a lock whose pid now belongs to another process (reused after a crash) is stale too; two engines racing for a stale lock: exactly one runs', async () => {
		// Agents slow enough that the second engine surely arrives while the first still runs.
		const {root, plan} = makeRepo({tickets: [{id: 'A'}, {id: 'B'}], plan: {_sleepMs: 3000}});
		mkdirSync(path.join(root, '.proofloop/runs'), {recursive: true});
		const lock = path.join(root, '.proofloop/runs/engine.lock');
		// This very test process is alive, but it is not the process that wrote the lock.
		writeFileSync(lock, JSON.stringify({pid: process.pid, host: hostname(), runId: 'old', startedAt: new Date().toISOString(), pidStart: '1'}));
		const [one, two] = await Promise.all([
			runCli(root, ['run', '--headless'], {FAKE_AGENT_PLAN: plan}),
			runCli(root, ['run', '--headless'], {FAKE_AGENT_PLAN: plan}),
		]);
		expect([one.exitCode, two.exitCode].sort()).toEqual([0, 2]);
		expect((one.exitCode === 2 ? one : two).stderr).toMatch(/another proofloop engine is running in this repo/);
		expect(listRuns(root)).toHaveLength(1);
	});

	it("a killed agent's stale index.lock and a ticket checkout deleted by hand are repaired by the run itself", async () => {
		const {root, plan} = makeRepo({tickets: [{id: 'A'}, {id: 'B'}], config: {attempts: 1}});
		// What a crashed engine leaves: A's checkout with the index lock its killed agent held, B's checkout registered but gone.
		git(root, 'worktree', 'add', '-q', '-b', 'proofloop/A', path.join(root, '.proofloop/worktrees/A'), 'main');
		const lock = path.join(git(path.join(root, '.proofloop/worktrees/A'), 'rev-parse', '--absolute-git-dir'), 'index.lock');
		writeFileSync(lock, '');
		git(root, 'worktree', 'add', '-q', '-b', 'proofloop/B', path.join(root, '.proofloop/worktrees/B'), 'main');
		execFileSync('rm', ['-rf', path.join(root, '.proofloop/worktrees/B')]);
		const result = await runCli(root, ['run', '--headless'], {FAKE_AGENT_PLAN: plan});
		expect(result.exitCode, result.stdout).toBe(0);
		expect([status(root, 'A'), status(root, 'B')]).toEqual(['done', 'done']);
		// Nothing leaked: the lock is gone, and only the user's checkout is left.
		expect(existsSync(lock)).toBe(false);
		expect(git(root, 'worktree', 'list', '--porcelain').match(/^worktree /gm)).toHaveLength(1);
	});

	it("a ticket branch checked out in a checkout of the user's is refused with the exact command, and the run goes on once it is run", async () => {
		const {root, plan} = makeRepo({tickets: [{id: 'A'}], config: {attempts: 1}});
		const mine = `${root}-mine`;
		git(root, 'worktree', 'add', '-q', '-b', 'proofloop/A', mine);
		const first = await runCli(root, ['run', '--headless'], {FAKE_AGENT_PLAN: plan});
		expect(first.exitCode).toBe(1);
		const failed = runEvents(root).find(e => e.type === 'attempt.failed');
		const reason = failed?.type === 'attempt.failed' ? failed.reason : '';
		expect(reason).toContain(`branch proofloop/A is checked out at ${mine}`);
		expect(reason).toContain(`fix: git -C "${mine}" switch --detach`);
		// The human runs the command the reason names, and the ticket gets another go.
		git(mine, 'switch', '--detach');
		writeFileSync(path.join(root, '.proofloop/tickets/A.md'), ticketText({id: 'A'}));
		const second = await runCli(root, ['run', '--headless'], {FAKE_AGENT_PLAN: plan});
		expect(second.exitCode).toBe(0);
		expect(status(root, 'A')).toBe('done');
	});
});

// The real-ENOSPC rows put the run directory on a tiny tmpfs with bwrap (.ci/run installs it).
const tmpfsDisk = probeBwrap().ok;
if (!tmpfsDisk) console.warn('\n!!! the ENOSPC (tiny tmpfs) tests are SKIPPED: bwrap is not usable here. fix: apt-get install bubblewrap (.ci/run does) !!!\n');

describe('a full disk while writing the event log', () => {
	it('stops with the file, the cause and the fix, leaves no agent running, and the run resumes to oracle 0 once there is room', async () => {
		const {root, plan} = makeRepo({tickets: ['A', 'B', 'C', 'D'].map(id => ({id})), config: {sandbox: 'none'}});
		// A file size limit (RLIMIT_FSIZE): every write past 8 KiB fails with EFBIG, as a full disk fails with ENOSPC.
		const limited = await execa('bash', ['-c', `ulimit -f 8; exec "${process.execPath}" "${CLI}" run --headless`], {
			cwd: root,
			reject: false,
			stdin: 'ignore',
			env: {FAKE_AGENT_PLAN: plan, NO_COLOR: '1'},
		});
		expect(limited.exitCode).toBe(2);
		expect(limited.stderr).toMatch(/cannot write the event log .*events\.jsonl: the file reached the size this process may write \(EFBIG/);
		expect(limited.stderr).toMatch(/fix: free space where it lives \(df -h .*\), then run `proofloop run` to resume the same run/);
		expect(limited.stderr).not.toMatch(/\n\s+at /);
		const run = listRuns(root)[0]!;
		expect(findRunProcesses(run.id)).toEqual([]);
		// What was recorded is readable (a torn tail is repaired, not fatal).
		expect(() => readEventLog(run.eventsFile)).not.toThrow();

		const resumed = await runCli(root, ['run', '--headless'], {FAKE_AGENT_PLAN: plan});
		expect(resumed.exitCode).toBe(0);
		expect(listRuns(root)).toHaveLength(1);
		expect(['A', 'B', 'C', 'D'].map(id => status(root, id))).toEqual(['done', 'done', 'done', 'done']);
	});

	// A real ENOSPC: the run directory on a tmpfs of this many bytes (bwrap --size). Measured on this batch,
	// the disk fills up at a different write for each size: a worker's prompt (24 KiB), an agent's log
	// (40 KiB), the event log (48 KiB), the report after the oracle said 0 (64 KiB). The assertions hold
	// wherever it lands.
	it.skipIf(!tmpfsDisk).each([24_576, 40_960, 49_152, 65_536])(
		'a %i-byte disk under the run directory: stopped with the file, ENOSPC and the fix, no ticket failed for it, and the run resumes to oracle 0',
		async size => {
			const ids = ['A', 'B', 'C', 'D'];
			const {root, plan, io} = makeRepo({tickets: ids.map(id => ({id})), config: {sandbox: 'none'}});
			const runs = path.join(root, '.proofloop/runs');
			mkdirSync(runs, {recursive: true});
			// The tmpfs goes when bwrap exits: keep what the engine left there, as the disk would.
			const saved = path.join(io, 'saved');
			const script = `"${process.execPath}" "${CLI}" run --headless; rc=$?; mkdir -p "${saved}"; cp -a "${runs}/." "${saved}/"; exit $rc`;
			const full = await execa('bwrap', ['--dev-bind', '/', '/', '--size', String(size), '--tmpfs', runs, '--', 'bash', '-c', script], {
				cwd: root,
				reject: false,
				stdin: 'ignore',
				env: {FAKE_AGENT_PLAN: plan, NO_COLOR: '1', PATH: process.env['PATH'] ?? ''},
			});
			expect(full.exitCode, full.stderr).toBe(2);
			expect(full.stderr).toMatch(
				/proofloop: (cannot write .*\.proofloop\/runs\/\S+: the disk is full \(ENOSPC\)|run \S+ is over .* but its report could not be written: the disk is full \(ENOSPC\))/,
			);
			expect(full.stderr).toMatch(/fix: free space[^\n]*\(df -h .*\.proofloop\/runs/);
			expect(full.stderr).not.toMatch(/internal error|\n\s+at /);
			execFileSync('cp', ['-a', `${saved}/.`, `${runs}/`]);
			const run = listRuns(root)[0]!;
			expect(findRunProcesses(run.id)).toEqual([]);
			const {events} = readEventLog(run.eventsFile);
			// The full disk was the machine's failure, not a ticket's: no attempt was spent on it.
			expect(events.filter(e => e.type === 'attempt.failed')).toEqual([]);
			expect(ids.map(id => status(root, id))).not.toContain('failed');

			const over = /its report could not be written/.test(full.stderr);
			const again = await runCli(root, over ? ['report'] : ['run', '--headless'], {FAKE_AGENT_PLAN: plan});
			expect(again.exitCode, again.stderr).toBe(0);
			expect(listRuns(root)).toHaveLength(1);
			expect(ids.map(id => status(root, id))).toEqual(['done', 'done', 'done', 'done']);
			expect(readFileSync(path.join(run.dir, 'report.md'), 'utf8')).toMatch(/oracle: exit 0/);
		},
	);

	it.skipIf(!tmpfsDisk)("a reviewer's log that finds no room stops the run like a worker's would: named, no attempt spent, resumed to oracle 0", async () => {
		const reviewer = {type: 'command', command: `node ${path.resolve('test/fixtures/agents/fake-reviewer.mjs')} {prompt_file}`};
		const {root, plan, io} = makeRepo({tickets: [{id: 'A'}], config: {sandbox: 'none', reviewer}, plan: {_sleepMs: 20}});
		const reviews = path.join(io, 'reviews.json');
		writeFileSync(reviews, JSON.stringify({A: ['flood']}));
		const runs = path.join(root, '.proofloop/runs');
		mkdirSync(runs, {recursive: true});
		const saved = path.join(io, 'saved');
		const script = `"${process.execPath}" "${CLI}" run --headless; rc=$?; mkdir -p "${saved}"; cp -a "${runs}/." "${saved}/"; exit $rc`;
		const full = await execa('bwrap', ['--dev-bind', '/', '/', '--size', '65536', '--tmpfs', runs, '--', 'bash', '-c', script], {
			cwd: root,
			reject: false,
			stdin: 'ignore',
			env: {FAKE_AGENT_PLAN: plan, FAKE_REVIEW_PLAN: reviews, NO_COLOR: '1', PATH: process.env['PATH'] ?? ''},
		});
		expect(full.exitCode, full.stderr).toBe(2);
		expect(full.stderr).toMatch(/proofloop: cannot write \S+\.review\.log: the disk is full \(ENOSPC\)/);
		execFileSync('cp', ['-a', `${saved}/.`, `${runs}/`]);
		const run = listRuns(root)[0]!;
		expect(readEventLog(run.eventsFile).events.filter(e => e.type === 'attempt.failed' || e.type === 'review.result')).toEqual([]);

		writeFileSync(reviews, JSON.stringify({A: ['approve']}));
		const again = await runCli(root, ['run', '--headless'], {FAKE_AGENT_PLAN: plan, FAKE_REVIEW_PLAN: reviews});
		expect(again.exitCode, again.stderr).toBe(0);
		expect(status(root, 'A')).toBe('done');
	});
});
