import {chmodSync, cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import path from 'node:path';
import {execFileSync} from 'node:child_process';
import {execa, type ResultPromise} from 'execa';
import {afterAll, afterEach, beforeAll, describe, expect, it} from 'vitest';
import {CLI, makeRepo, runCli, runEvents, trailerCount, type TicketSpec} from '../helpers/repo.js';
import {redisProbe, startRedis, type RedisServer} from '../helpers/redis-server.js';
import {probeBwrap} from '../../source/agents/sandbox.js';

// #17's hostile review: a worker of another version, a coordinator killed mid-finish-line, an agent that fakes
// "could not start". Each case failed before its fix.
const probe = redisProbe('the queue red-team tests');
let redis: RedisServer;
let locked: RedisServer;
const SECRET = 'queue-secret-4f1d9';
beforeAll(async () => {
	if (!probe.ok) return;
	redis = await startRedis();
	locked = await startRedis({password: SECRET});
}, 60_000);
afterAll(async () => {
	await redis?.stop();
	await locked?.stop();
});

const workers: ResultPromise[] = [];
afterEach(async () => {
	for (const w of workers.splice(0)) {
		w.kill('SIGKILL');
		await w.catch(() => {});
	}
});

const git = (cwd: string, ...args: string[]) => execFileSync('git', args, {cwd, encoding: 'utf8'}).trim();

function queuedRepo(tickets: TicketSpec[], url: string, plan: Record<string, unknown>, config: Record<string, unknown> = {}) {
	const top = mkdtempSync(path.join(tmpdir(), 'pl-queuered-'));
	const remote = path.join(top, 'remote.git');
	git(top, 'init', '-q', '--bare', remote);
	const repo = makeRepo({tickets, plan, config: {executor: {kind: 'queue', url, remote}, ...config}});
	return {...repo, remote, top};
}

function startWorker(opts: {
	url: string;
	remote: string;
	dir: string;
	plan: string;
	cli?: string;
	env?: Record<string, string>;
	boxedOnly?: boolean;
}): ResultPromise {
	mkdirSync(opts.dir, {recursive: true});
	const w = execa(
		process.execPath,
		[
			opts.cli ?? CLI,
			'worker',
			'--queue',
			opts.url,
			'--remote',
			opts.remote,
			'--concurrency',
			'1',
			...(opts.boxedOnly || probeBwrap().ok ? [] : ['--unsandboxed']),
		],
		{
			cwd: opts.dir,
			reject: false,
			stdin: 'ignore',
			env: {FAKE_AGENT_PLAN: opts.plan, NO_COLOR: '1', ...opts.env},
		},
	);
	workers.push(w);
	return w;
}

const dbUrl = (server: RedisServer, db: number) => server.url.replace(/\/\d+$/, `/${db}`);

describe.skipIf(!probe.ok)('queue workers, attacked', () => {
	it('the coordinator refuses a result from a worker of another version, even one that skips the handshake', async () => {
		const {root, plan, remote, top} = queuedRepo([{id: 'V'}], dbUrl(redis, 2), {_sleepMs: 100}, {attempts: 1});
		// Another install (older, newer, or patched) whose worker does not refuse the job itself.
		const other = path.join(top, 'other-install');
		mkdirSync(other);
		writeFileSync(path.join(other, 'package.json'), JSON.stringify({name: 'proofloop', version: '0.0.1-other', type: 'module'}));
		cpSync('dist', path.join(other, 'dist'), {recursive: true});
		symlinkSync(path.resolve('node_modules'), path.join(other, 'node_modules'));
		const workerJs = path.join(other, 'dist', 'source', 'queue', 'worker.js');
		const patched = readFileSync(workerJs, 'utf8').replace("if (typeof raw.version === 'string' && raw.version !== version)", 'if (false)');
		expect(patched).not.toBe(readFileSync(workerJs, 'utf8'));
		writeFileSync(workerJs, patched);
		startWorker({url: dbUrl(redis, 2), remote, plan, dir: path.join(top, 'other-worker'), cli: path.join(other, 'dist', 'cli.js')});

		const result = await runCli(root, ['run', '--headless'], {FAKE_AGENT_PLAN: plan});
		expect(await trailerCount(root, 'V'), 'a result from proofloop 0.0.1-other was merged').toBe(0);
		expect(result.exitCode).toBe(1);
	}, 180_000);

	it('the coordinator killed during the checks of a queued attempt: the resumed run finishes the ticket (the result it had taken is not refused and charged)', async () => {
		const {root, plan, remote, top} = queuedRepo([{id: 'K'}], dbUrl(redis, 4), {_sleepMs: 100}, {attempts: 1, checks: ['sleep 4 && test -e README.md']});
		startWorker({url: dbUrl(redis, 4), remote, plan, dir: path.join(top, 'worker')});
		const first = execa(process.execPath, [CLI, 'run', '--headless'], {cwd: root, reject: false, stdin: 'ignore', env: {FAKE_AGENT_PLAN: plan, NO_COLOR: '1'}});
		await new Promise<void>(resolve => first.stdout?.on('data', (chunk: Buffer) => /K\s+agent finished/.test(String(chunk)) && resolve()));
		await new Promise(resolve => setTimeout(resolve, 1000));
		first.kill('SIGKILL');
		await first;

		const resumed = await runCli(root, ['run', '--headless'], {FAKE_AGENT_PLAN: plan});
		const failed = runEvents(root).filter(e => e.type === 'attempt.failed');
		expect(failed, JSON.stringify(failed)).toEqual([]);
		expect(await trailerCount(root, 'K')).toBe(1);
		expect(resumed.exitCode, resumed.stdout + resumed.stderr).toBe(0);
	}, 180_000);

	it('a worker of another version whose job schema differs refuses the job at handshake (not fails it, charging the attempt)', async () => {
		const {root, plan, remote, top} = queuedRepo([{id: 'W'}], dbUrl(redis, 5), {_sleepMs: 100}, {attempts: 1});
		// Another install whose job schema has a field this version does not send (what any protocol change looks like).
		const other = path.join(top, 'other-install');
		mkdirSync(other);
		writeFileSync(path.join(other, 'package.json'), JSON.stringify({name: 'proofloop', version: '0.0.2-next', type: 'module'}));
		cpSync('dist', path.join(other, 'dist'), {recursive: true});
		symlinkSync(path.resolve('node_modules'), path.join(other, 'node_modules'));
		const protocolJs = path.join(other, 'dist', 'source', 'queue', 'protocol.js');
		const changed = readFileSync(protocolJs, 'utf8').replace('version: z.string(),', 'version: z.string(), lease: z.string(),');
		expect(changed).not.toBe(readFileSync(protocolJs, 'utf8'));
		writeFileSync(protocolJs, changed);
		const wrong = startWorker({url: dbUrl(redis, 5), remote, plan, dir: path.join(top, 'next-worker'), cli: path.join(other, 'dist', 'cli.js')});
		const run = runCli(root, ['run', '--headless'], {FAKE_AGENT_PLAN: plan});
		// It refuses naming both versions and stops (exit 2), as the handshake says; then a worker of the right version takes the job.
		const refused = await Promise.race([wrong, new Promise<undefined>(resolve => setTimeout(() => resolve(undefined), 20_000))]);
		if (!refused) {
			// It did not refuse: what became of the attempt.
			await run;
			const failed = runEvents(root).filter(e => e.type === 'attempt.failed');
			expect(failed, JSON.stringify(failed)).toEqual([]);
		}
		expect(refused?.stdout ?? 'the other worker did not stop', refused?.stdout).toMatch(/runs proofloop 0\.0\.2-next, the coordinator .*: refused/);
		startWorker({url: dbUrl(redis, 5), remote, plan, dir: path.join(top, 'worker')});
		const result = await run;
		const failed = runEvents(root).filter(e => e.type === 'attempt.failed');
		expect(failed, JSON.stringify(failed)).toEqual([]);
		expect(await trailerCount(root, 'W')).toBe(1);
		expect(result.exitCode).toBe(0);
	}, 180_000);

	it('a remote agent that prints bwrap\'s own "cannot start" line and exits 1 is charged, and does not stop the run\'s dispatch', async () => {
		const {root, plan, remote, top, io} = queuedRepo([{id: 'X'}, {id: 'Y'}], dbUrl(redis, 8), {_sleepMs: 50}, {attempts: 1, concurrency: 1});
		const agent = path.join(io, 'liar.sh');
		const fake = path.resolve(path.dirname(CLI), '..', 'test', 'fixtures', 'agents', 'fake-agent.mjs');
		writeFileSync(
			agent,
			`#!/bin/sh\nif [ "$1" = X ]; then echo "bwrap: execvp team-agent: No such file or directory"; exit 1; fi\nexec "${process.execPath}" "${fake}" "$@"\n`,
		);
		chmodSync(agent, 0o755);
		const config = JSON.parse(readFileSync(path.join(root, '.proofloop', 'config.json'), 'utf8')) as Record<string, unknown>;
		config['agent'] = {type: 'command', command: `${agent} {ticket} {attempt}`};
		writeFileSync(path.join(root, '.proofloop', 'config.json'), JSON.stringify(config, null, 2));
		git(root, 'commit', '-qam', 'agent');
		startWorker({url: dbUrl(redis, 8), remote, plan, dir: path.join(top, 'worker')});
		const result = await runCli(root, ['run', '--headless'], {FAKE_AGENT_PLAN: plan});
		const events = runEvents(root);
		expect(
			events.filter(e => e.type === 'attempt.interrupted'),
			result.stdout,
		).toEqual([]);
		expect(await trailerCount(root, 'Y'), result.stdout).toBe(1);
	}, 180_000);

	it("a commit pushed onto the remote's main (anyone with the git remote) fails no ticket after it, and never reaches this repository's main", async () => {
		const {root, plan, remote, top} = queuedRepo([{id: 'A'}, {id: 'B', deps: ['A']}], dbUrl(redis, 1), {_sleepMs: 100}, {attempts: 1});
		// When A's head arrives, "someone" moves the remote's main one commit ahead of the coordinator's.
		writeFileSync(
			path.join(remote, 'hooks', 'post-receive'),
			[
				'#!/bin/sh',
				'export GIT_AUTHOR_NAME=x GIT_AUTHOR_EMAIL=x@x.invalid GIT_COMMITTER_NAME=x GIT_COMMITTER_EMAIL=x@x.invalid',
				'while read old new ref; do',
				'  case "$ref" in refs/proofloop/result/*/A/*)',
				'    m=$(git rev-parse refs/proofloop/base/main); c=$(git commit-tree "$m^{tree}" -p "$m" -m poison); git update-ref refs/heads/main "$c" ;;',
				'  esac',
				'done',
				'',
			].join('\n'),
		);
		chmodSync(path.join(remote, 'hooks', 'post-receive'), 0o755);
		startWorker({url: dbUrl(redis, 1), remote, plan, dir: path.join(top, 'worker')});
		const result = await runCli(root, ['run', '--headless'], {FAKE_AGENT_PLAN: plan});
		expect(git(root, 'log', '--format=%s', 'main')).not.toMatch(/poison/);
		expect(git(remote, 'log', '-1', '--format=%s', 'main'), 'the hook ran').toBe('poison');
		const failed = runEvents(root).filter(e => e.type === 'attempt.failed');
		expect(failed, JSON.stringify(failed)).toEqual([]);
		expect(await trailerCount(root, 'B')).toBe(1);
		expect(result.exitCode, result.stdout + result.stderr).toBe(0);
	}, 180_000);

	it('a job whose agent would run unsandboxed is refused by a worker not started with --unsandboxed; its agent never runs', async () => {
		const {root, plan, remote, top, io} = queuedRepo([{id: 'U'}], dbUrl(redis, 3), {_sleepMs: 50}, {attempts: 1, sandbox: 'none', selfHeal: {max: 0}});
		const ran = path.join(io, 'agent-ran');
		const config = JSON.parse(readFileSync(path.join(root, '.proofloop', 'config.json'), 'utf8')) as Record<string, unknown>;
		config['agent'] = {type: 'command', command: `touch ${ran}`};
		writeFileSync(path.join(root, '.proofloop', 'config.json'), JSON.stringify(config, null, 2));
		git(root, 'commit', '-qam', 'agent');
		startWorker({url: dbUrl(redis, 3), remote, plan, dir: path.join(top, 'worker'), boxedOnly: true});
		const result = await runCli(root, ['run', '--headless'], {FAKE_AGENT_PLAN: plan});
		expect(result.exitCode).toBe(1);
		const failed = runEvents(root).filter(e => e.type === 'attempt.failed');
		expect(failed.map(e => (e.type === 'attempt.failed' ? e.reason : ''))).toEqual([expect.stringMatching(/runs agents only in bubblewrap.*--unsandboxed/s)]);
		expect(existsSync(ran)).toBe(false);
	}, 180_000);
});
