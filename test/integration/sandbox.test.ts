import {cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import path from 'node:path';
import {createHash, randomBytes} from 'node:crypto';
import {execa} from 'execa';
import {describe, expect, it} from 'vitest';
import {probeBwrap} from '../../source/agents/sandbox.js';
import {findRunProcesses, reapRunProcesses} from '../../source/process/orphans.js';
import {listRuns} from '../../source/core/run-dir.js';
import {tripwireCacheDir} from '../../source/core/tripwire-cache.js';
import {CLI, makeRepo, runCli, runEvents, trailerCount} from '../helpers/repo.js';

const sleep = (ms: number) => new Promise(resolve => setTimeout(resolve, ms));

const probe = probeBwrap();
if (!probe.ok) {
	// Loud on purpose: a machine without a working bwrap proves nothing about the sandbox.
	console.warn(`\n!!! SANDBOX TESTS SKIPPED: ${probe.reason}. fix: apt-get install bubblewrap (.ci/run does) !!!\n`);
}

/** A private copy of the built CLI, so an unsandboxed agent can tamper with "the engine's oracle" without harming this checkout. */
function installCopy(): string {
	const dir = mkdtempSync(path.join(tmpdir(), 'pl-install-'));
	cpSync('dist', path.join(dir, 'dist'), {recursive: true});
	cpSync('package.json', path.join(dir, 'package.json'));
	symlinkSync(path.resolve('node_modules'), path.join(dir, 'node_modules'));
	return dir;
}

const sha = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');

type Probe = {ticket: string; target: string; ok: boolean; code?: string; message?: string};
const probes = (file: string): Probe[] =>
	readFileSync(file, 'utf8')
		.trim()
		.split('\n')
		.map(line => JSON.parse(line) as Probe);

/** Ticket A runs the escape agent; B is an honest ticket whose worktree exists while A tries to write it. */
function hostileBatch(sandbox: 'auto' | 'none', opts: {git: boolean; home: boolean; objects?: boolean}) {
	const install = installCopy();
	const {root, plan, io} = makeRepo({
		tickets: [{id: 'A'}, {id: 'B'}],
		// ~/.cache writable, as a user opens it for npm or pip: the tripwire's cache inside stays read-only.
		config: {sandbox, attempts: 1, concurrency: 2, sandboxPaths: {writable: ['~/.cache']}},
		plan: {A: 'escape', _sleepMs: 0, '_sleepMs:B': 4000},
	});
	const forged = path.join(tripwireCacheDir(), `forged-${randomBytes(4).toString('hex')}`);
	const hostTmpProbe = `/tmp/pl-sandbox-probe-${randomBytes(4).toString('hex')}`;
	const homeProbe = path.join(process.env['HOME'] ?? '/root', `.pl-sandbox-probe-${randomBytes(4).toString('hex')}`);
	const oracle = path.join(install, 'dist', 'oracle', 'oracle.mjs');
	const targets = [
		{name: 'tracker', path: path.join(root, '.proofloop/tickets/B.md'), how: 'forge-done'},
		{name: 'oracle', path: oracle, how: 'append'},
		{name: 'oracle-dir', path: path.join(install, 'dist', 'oracle', 'agent.mjs'), how: 'create'},
		{name: 'run-dir', path: '$RUN_DIR/agent.txt', how: 'create'},
		{name: 'other-worktree', path: path.join(root, '.proofloop/worktrees/B/from-A.txt'), how: 'create'},
		{name: 'main-checkout', path: path.join(root, 'README.md'), how: 'append'},
		{name: 'git-hooks', path: path.join(root, '.git/hooks/post-merge'), how: 'create'},
		...(opts.home ? [{name: 'home', path: homeProbe, how: 'create'}] : []),
		{name: 'tripwire-cache', path: forged, how: 'create'},
		// Moving the cache away to plant a fresh one (only boxed: unboxed it would move the real one).
		...(sandbox === 'auto' ? [{name: 'tripwire-cache-move', path: path.dirname(tripwireCacheDir()), how: 'rename'}] : []),
		{name: 'host-tmp', path: hostTmpProbe, how: 'create'},
	];
	const targetsFile = path.join(io, 'targets.json');
	writeFileSync(targetsFile, JSON.stringify(targets));
	const out = path.join(io, 'probes.jsonl');
	const env = {
		FAKE_AGENT_PLAN: plan,
		FAKE_AGENT_OUT: out,
		FAKE_TARGETS: targetsFile,
		FAKE_ESCAPE_GIT: opts.git ? '1' : '0',
		FAKE_ESCAPE_OBJECTS: opts.objects ? '1' : '0',
		FAKE_ESCAPE_DELAY_MS: '1000',
		NO_COLOR: '1',
	};
	// Unsandboxed, the agent's write lands in the user's real cache: never leave it there.
	const cacheDir = path.dirname(tripwireCacheDir());
	const run = () =>
		execa(process.execPath, [path.join(install, 'dist', 'cli.js'), 'run', '--headless'], {cwd: root, reject: false, env, stdin: 'ignore'}).finally(() => {
			rmSync(forged, {force: true});
			// A sandbox that failed to hold would have moved the user's real cache: never leave it moved.
			if (existsSync(`${cacheDir}.moved`)) rmSync(`${cacheDir}.moved`, {recursive: true, force: true});
		});
	return {install, root, out, oracle, oracleSha: sha(oracle), hostTmpProbe, homeProbe, run};
}

const refused = (p: Probe | undefined) =>
	p !== undefined && !p.ok && /EROFS|EPERM|EACCES|read-only file system|resource busy|permission denied/i.test(`${p.code ?? ''} ${p.message ?? ''}`);

describe.skipIf(!probe.ok)(`the bwrap sandbox (${probe.ok ? `${probe.version}, user namespace ${probe.userns ? 'on' : 'off'}` : 'SKIPPED'})`, () => {
	it('a sandboxed agent cannot write the tracker, the oracle, the run directory, another worktree, the main checkout, .git or HOME, yet commits in its own worktree', async () => {
		const batch = hostileBatch('auto', {git: true, home: true, objects: true});
		const readme = readFileSync(path.join(batch.root, 'README.md'), 'utf8');
		const result = await batch.run();
		expect(result.stderr).toBe('');
		expect(result.exitCode).toBe(0);

		const said = probes(batch.out);
		const of = (target: string) => said.find(p => p.target === target);
		for (const target of [
			'tracker',
			'oracle',
			'oracle-dir',
			'run-dir',
			'other-worktree',
			'main-checkout',
			'git-hooks',
			'home',
			'tripwire-cache',
			'tripwire-cache-move',
		]) {
			expect(refused(of(target)), `${target}: ${JSON.stringify(of(target))}`).toBe(true);
		}
		for (const target of ['git-base-ref', 'git-head', 'git-config', 'git-object-unlink', 'git-object-plant'])
			expect(refused(of(target)), `${target}: ${JSON.stringify(of(target))}`).toBe(true);
		// Its /tmp is its own: the write works there and never reaches the host's.
		expect(of('host-tmp')?.ok).toBe(true);
		expect(existsSync(batch.hostTmpProbe)).toBe(false);
		// Its own worktree and branch: it committed by itself.
		expect(said.filter(p => p.target === 'own-worktree-commit').map(p => p.ok)).toEqual([true, true]);
		const {stdout: log} = await execa('git', ['log', '--format=%s', 'main'], {cwd: batch.root});
		expect(log).toMatch(/A: honest work/);

		// Nothing outside the worktree changed.
		expect(sha(batch.oracle)).toBe(batch.oracleSha);
		expect(existsSync(path.join(batch.install, 'dist', 'oracle', 'agent.mjs'))).toBe(false);
		expect(existsSync(path.join(listRuns(batch.root)[0]!.dir, 'agent.txt'))).toBe(false);
		expect(existsSync(batch.homeProbe)).toBe(false);
		expect(existsSync(path.join(batch.root, '.git/hooks/post-merge'))).toBe(false);
		expect(readFileSync(path.join(batch.root, 'README.md'), 'utf8')).toBe(readme);
		expect((await execa('git', ['config', '--get', 'core.fsmonitor'], {cwd: batch.root, reject: false})).stdout).toBe('');
		expect((await execa('git', ['cat-file', '-e', 'main:from-A.txt'], {cwd: batch.root, reject: false})).exitCode).not.toBe(0);

		const events = runEvents(batch.root);
		expect(events.find(e => e.type === 'run.started')).toMatchObject({sandbox: 'bwrap'});
		expect(events.some(e => e.type === 'warning' && /never wrote/.test(e.message))).toBe(false);
		for (const id of ['A', 'B']) expect(await trailerCount(batch.root, id)).toBe(1);
		// The repository is whole: base's objects are all there, and nothing was planted.
		expect((await execa('git', ['fsck', '--no-dangling'], {cwd: batch.root, reject: false})).exitCode).toBe(0);
		const fans = readdirSync(path.join(batch.root, '.git/objects')).filter(fan => /^[0-9a-f]{2}$/.test(fan));
		expect(fans.filter(fan => existsSync(path.join(batch.root, '.git/objects', fan, 'e'.repeat(38))))).toEqual([]);
	});

	it('the same agent unsandboxed lands its writes, and is caught: the forged status is put back and the tampered oracle cannot judge the run', async () => {
		// The git probes stay off here: unsandboxed they would really rewrite this temp repo's config.
		const batch = hostileBatch('none', {git: false, home: false});
		const result = await batch.run();
		const said = probes(batch.out);
		const of = (target: string) => said.find(p => p.target === target);
		for (const target of ['tracker', 'oracle', 'oracle-dir', 'run-dir', 'other-worktree', 'main-checkout', 'git-hooks']) {
			expect(of(target)?.ok, target).toBe(true);
		}
		const events = runEvents(batch.root);
		expect(events.find(e => e.type === 'run.started')).toMatchObject({sandbox: 'none'});
		// Caught by the engine: a status it never wrote is put back.
		expect(events.some(e => e.type === 'warning' && e.ticket === 'B' && /never wrote/.test(e.message))).toBe(true);
		// Caught by the oracle pin: the run cannot end at 0 with a changed oracle.
		const final = events.filter(e => e.type === 'oracle.verdict').at(-1);
		expect(final).toMatchObject({exit: 2});
		expect(final && 'summary' in final ? final.summary : '').toMatch(/does not match its pin/);
		expect(result.exitCode).toBe(2);
		expect(sha(batch.oracle)).not.toBe(batch.oracleSha);
		// The changed oracle stops the run's merges at once: nothing merges after the tamper is seen.
		const tamper = events.find(e => e.type === 'warning' && e.message.startsWith('TAMPER: the oracle file'));
		expect(tamper).toBeDefined();
		expect(events.filter(e => e.type === 'merge.intent' && e.seq > (tamper?.seq ?? 0))).toEqual([]);
		expect(existsSync(path.join(listRuns(batch.root)[0]!.dir, 'agent.txt'))).toBe(true);
	});

	it('an engine killed with SIGKILL takes its sandboxed agents along at once (--die-with-parent); unsandboxed they outlive it until the next engine reaps them', async () => {
		const survivors: Record<string, number> = {};
		for (const sandbox of ['auto', 'none'] as const) {
			const {root, plan} = makeRepo({tickets: [{id: 'H'}], config: {sandbox}, plan: {H: 'hang', _sleepMs: 0}});
			const engine = execa(process.execPath, [CLI, 'run', '--headless'], {cwd: root, reject: false, env: {FAKE_AGENT_PLAN: plan}, stdin: 'ignore'});
			const until = Date.now() + 30_000;
			const eventsFile = () => listRuns(root)[0]?.eventsFile;
			while (!(eventsFile() && existsSync(eventsFile()!) && readFileSync(eventsFile()!, 'utf8').includes('"type":"agent.spawned"'))) {
				if (Date.now() > until) throw new Error('the agent never started');
				await sleep(20);
			}
			// The hanging agent and its SIGTERM-proof grandchild are up.
			await sleep(500);
			const runId = listRuns(root)[0]!.id;
			expect(findRunProcesses(runId).length).toBeGreaterThanOrEqual(2);
			engine.kill('SIGKILL');
			await engine;
			await sleep(1000);
			survivors[sandbox] = findRunProcesses(runId).length;
			reapRunProcesses(runId);
		}
		expect(survivors['auto']).toBe(0);
		expect(survivors['none']).toBeGreaterThanOrEqual(2);
	});

	it('a sandboxed reviewer runs boxed too: it cannot write the tracker', async () => {
		const {root, plan, io} = makeRepo({
			tickets: [{id: 'A'}],
			config: {reviewer: {type: 'command', command: 'echo x >> "$PROOFLOOP_RUN_DIR/reviewer.txt" && echo WROTE; echo \'{"verdict": "approve"}\''}},
			plan: {_sleepMs: 20},
		});
		void io;
		const result = await runCli(root, ['run', '--headless'], {FAKE_AGENT_PLAN: plan});
		expect(result.exitCode).toBe(0);
		const run = listRuns(root)[0]!;
		expect(existsSync(path.join(run.dir, 'reviewer.txt'))).toBe(false);
		expect(readFileSync(path.join(run.dir, 'logs', 'A', '1.review.log'), 'utf8')).not.toMatch(/WROTE/);
	});
});

describe('choosing the sandbox', () => {
	it('"sandbox": "bwrap" without a working bwrap is refused with the fix, and nothing is written', async () => {
		const {root, plan} = makeRepo({tickets: [{id: 'A'}], config: {sandbox: 'bwrap'}});
		const result = await runCli(root, ['run', '--headless'], {FAKE_AGENT_PLAN: plan, PROOFLOOP_BWRAP: '/nonexistent/bwrap'});
		expect(result.exitCode).toBe(2);
		expect(result.stderr).toMatch(/"sandbox": "bwrap".*\n.*fix: apt-get install bubblewrap/);
		expect(existsSync(path.join(root, '.proofloop/runs'))).toBe(false);
	});

	it('"auto" without a working bwrap refuses to start with the fix, and nothing is written', async () => {
		const {root, plan} = makeRepo({tickets: [{id: 'A'}]});
		const result = await runCli(root, ['run', '--headless'], {FAKE_AGENT_PLAN: plan, PROOFLOOP_BWRAP: '/nonexistent/bwrap'});
		expect(result.exitCode).toBe(2);
		expect(result.stderr).toMatch(/no working sandbox here: .*\n.*fix: apt-get install bubblewrap.*"sandbox": "none".*--unsandboxed/);
		expect(existsSync(path.join(root, '.proofloop/runs'))).toBe(false);
	});

	it('--unsandboxed runs without bwrap on purpose, and says so in the start line, the verdict line, status and the report', async () => {
		const {root, plan} = makeRepo({tickets: [{id: 'A'}]});
		const result = await runCli(root, ['run', '--headless', '--unsandboxed'], {FAKE_AGENT_PLAN: plan, PROOFLOOP_BWRAP: '/nonexistent/bwrap'});
		expect(result.exitCode).toBe(0);
		expect(result.stdout).toMatch(/run .*: batch 'b'.* — UNSANDBOXED run/);
		expect(result.stdout).toMatch(/oracle: exit 0 \(done\) — UNSANDBOXED run:/);
		expect(runEvents(root).find(e => e.type === 'run.started')).toMatchObject({sandbox: 'none'});
		// The morning reader sees it without reading the log: in the manifest, the report and status.
		const run = listRuns(root)[0]!;
		expect(JSON.parse(readFileSync(path.join(run.dir, 'manifest.json'), 'utf8'))).toMatchObject({sandbox: 'none'});
		expect(JSON.parse(readFileSync(path.join(run.dir, 'report.json'), 'utf8'))).toMatchObject({sandbox: 'unsandboxed'});
		expect(readFileSync(path.join(run.dir, 'report.md'), 'utf8')).toMatch(/- sandbox: UNSANDBOXED/);
		const status = await runCli(root, ['status']);
		expect(status.stdout).toMatch(/UNSANDBOXED/);
	});

	it('a configured writable path that covers the tracker or .git is refused', async () => {
		const {root, plan} = makeRepo({tickets: [{id: 'A'}], config: {sandboxPaths: {writable: ['.proofloop']}}});
		const result = await runCli(root, ['run', '--headless'], {FAKE_AGENT_PLAN: plan});
		expect(result.exitCode).toBe(2);
		expect(result.stderr).toMatch(/sandboxPaths\.writable: .*\.proofloop contains .*(tickets|runs)/);
	});
});

describe('the agent environment is allow-listed', () => {
	it('an agent sees PATH, HOME, its CLI keys, PROOFLOOP_* and what the config passes or sets, not the rest; checks still see everything', async () => {
		const {root, plan, io} = makeRepo({
			tickets: [{id: 'A'}],
			config: {agentEnv: {pass: ['FAKE_', 'EXTRA_ONE'], set: {SET_BY_CONFIG: 'yes'}}, checks: ['test "$DEPLOY_SECRET" = s3cret']},
			plan: {A: 'dump-env', _sleepMs: 0},
		});
		const out = path.join(io, 'env.jsonl');
		const result = await runCli(root, ['run', '--headless'], {
			FAKE_AGENT_PLAN: plan,
			FAKE_AGENT_OUT: out,
			PATH: process.env['PATH'] ?? '',
			HOME: process.env['HOME'] ?? '/root',
			DEPLOY_SECRET: 's3cret',
			AWS_SECRET_ACCESS_KEY: 'nope',
			ANTHROPIC_API_KEY: 'sk-test',
			OPENAI_BASE_URL: 'http://127.0.0.1:9',
			EXTRA_ONE: '1',
			EXTRA_TWO: '2',
			LC_ALL: 'C.UTF-8',
		});
		expect(result.exitCode).toBe(0);
		const env = (JSON.parse(readFileSync(out, 'utf8').trim().split('\n')[0]!) as {env: Record<string, string>}).env;
		expect(env).toMatchObject({
			ANTHROPIC_API_KEY: 'sk-test',
			OPENAI_BASE_URL: 'http://127.0.0.1:9',
			EXTRA_ONE: '1',
			SET_BY_CONFIG: 'yes',
			LC_ALL: 'C.UTF-8',
			FAKE_AGENT_PLAN: plan,
		});
		expect(env['PROOFLOOP_RUN_ID']).toBe(listRuns(root)[0]!.id);
		expect(env['PROOFLOOP_CONTROL']).toBeTruthy();
		expect(env['PATH']).toMatch(/\/bin\b/);
		expect(env['HOME']).toBeTruthy();
		for (const hidden of ['DEPLOY_SECRET', 'AWS_SECRET_ACCESS_KEY', 'EXTRA_TWO']) expect(env[hidden], hidden).toBeUndefined();
		expect(env['PROOFLOOP_SANDBOX']).toBe(probe.ok ? 'bwrap' : 'none');
	});
});
