import {mkdtempSync} from 'node:fs';
import {hostname, tmpdir} from 'node:os';
import path from 'node:path';
import {execa, execaSync} from 'execa';
import {Worker} from 'bullmq';
import {Redis} from 'ioredis';
import {afterEach, describe, expect, it} from 'vitest';
import {packageVersion} from '../../source/core/paths.js';
import {QUEUE_NAME} from '../../source/queue/protocol.js';
import {CLI, makeRepo, runCli} from '../helpers/repo.js';
import {redisProbe, startRedis, type RedisServer} from '../helpers/redis-server.js';

// `proofloop doctor` with "executor": {"kind": "queue"} (#17): the queue checked against a real redis-server.
const probe = redisProbe('QUEUE DOCTOR TESTS');

type Check = {name: string; ok: boolean; detail: string; fix?: string; optional?: boolean};
const doctorJson = async (root: string, env: Record<string, string> = {}) => {
	const result = await runCli(root, ['doctor', '--json'], env);
	const report = JSON.parse(result.stdout) as {ok: boolean; checks: Check[]};
	return {exitCode: result.exitCode, report, check: (name: string) => report.checks.find(c => c.name === name)};
};

describe.skipIf(!probe.ok)('proofloop doctor, queue executor', () => {
	const cleanups: (() => Promise<unknown>)[] = [];
	afterEach(async () => {
		for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
	});
	const redis = async (options?: Parameters<typeof startRedis>[0]): Promise<RedisServer> => {
		const server = await startRedis(options);
		cleanups.push(() => server.stop());
		return server;
	};
	/** A repo whose config sends attempts to `url`, and the bare remote its workers clone. */
	const queueRepo = (url: string) => {
		const remote = path.join(mkdtempSync(path.join(tmpdir(), 'pl-remote-')), 'repo.git');
		const repo = makeRepo({tickets: [{id: 'A'}], config: {executor: {kind: 'queue', url, remote}}});
		execaSync('git', ['clone', '-q', '--bare', repo.root, remote]);
		return {...repo, remote};
	};
	/** A real `proofloop worker`, started once it says it takes attempts (it is killed after the test). */
	const startWorker = async (url: string, remote: string): Promise<void> => {
		const dir = mkdtempSync(path.join(tmpdir(), 'pl-worker-'));
		const child = execa(process.execPath, [CLI, 'worker', '--queue', url, '--remote', remote, '--dir', dir], {reject: false, stdin: 'ignore'});
		cleanups.push(async () => {
			child.kill('SIGKILL');
			await child;
		});
		let out = '';
		await new Promise<void>((resolve, reject) => {
			child.stdout!.on('data', (chunk: Buffer) => {
				out += chunk.toString();
				if (out.includes('taking attempts')) resolve();
			});
			void child.then(r => reject(new Error(`the worker exited ${r.exitCode}: ${out}${String(r.stderr)}`)));
		});
	};

	it('PASS: the URL without its password, what waits, and the live workers by host and proofloop version', async () => {
		const server = await redis({password: 's3cret:p@ss'});
		const {root, remote} = queueRepo(server.url);
		await startWorker(server.url, remote);
		// A worker of another proofloop version, as BullMQ names it.
		const connection = new Redis(server.url, {maxRetriesPerRequest: null});
		const old = new Worker(QUEUE_NAME, async () => undefined, {connection, name: 'old-box@0.0.1', autorun: true});
		cleanups.push(async () => {
			await old.close(true);
			connection.disconnect();
		});
		await old.waitUntilReady();

		const {exitCode, report, check} = await doctorJson(root);
		expect(check('queue')).toMatchObject({ok: true});
		expect(check('queue')!.detail).toMatch(
			new RegExp(`^redis://\\*\\*\\*@127\\.0\\.0\\.1:${server.port}/0 answers \\(Redis \\d+\\.\\d+\\.\\d+\\); queue '${QUEUE_NAME}': 0 waiting, 0 running$`),
		);
		const workers = check('workers')!;
		expect(workers).toMatchObject({ok: false, optional: true});
		const me = `${hostname()} (proofloop ${packageVersion()})`;
		expect(workers.detail).toBe(
			`2 live: ${[me, 'old-box (proofloop 0.0.1)'].sort().join(', ')}; not at this proofloop's version ${packageVersion()}, refused at handshake: old-box`,
		);
		expect(JSON.stringify(report)).not.toContain('s3cret');
		// A warning, not a reason to refuse: the other checks decide.
		expect(exitCode).toBe(report.ok ? 0 : 1);
		expect(report.checks.filter(c => !c.ok && !c.optional)).toEqual([]);

		const text = await runCli(root, ['doctor']);
		expect(text.stdout).toContain(`ok    queue: redis://***@127.0.0.1:${server.port}/0 answers`);
		expect(text.stdout).toContain('warn  workers: 2 live:');
	});

	it('no worker connected: a warning that says how to start one', async () => {
		const server = await redis();
		const {root} = queueRepo(server.url);
		const {check} = await doctorJson(root);
		expect(check('queue')).toMatchObject({ok: true});
		expect(check('workers')).toMatchObject({ok: false, optional: true, detail: 'none connected: attempts will wait in the queue until a worker takes them'});
		expect(check('workers')!.fix).toMatch(/proofloop worker --queue URL --remote GIT_URL/);
	});

	it('FAIL: a wrong password (not shown), and a queue nobody answers, each with the fix; exit 1', async () => {
		const server = await redis({password: 'right-one'});
		const wrong = server.url.replace('right-one', 'wrong-one');
		const {root} = queueRepo(wrong);
		const refused = await doctorJson(root);
		expect(refused.exitCode).toBe(1);
		expect(refused.check('queue')).toMatchObject({ok: false});
		expect(refused.check('queue')!.detail).toMatch(
			new RegExp(`^cannot use redis://\\*\\*\\*@127\\.0\\.0\\.1:${server.port}/0: .*(WRONGPASS|invalid username-password)`),
		);
		expect(refused.check('queue')!.fix).toMatch(/"executor\.url" in \.proofloop\/config\.json/);
		expect(JSON.stringify(refused.report)).not.toContain('wrong-one');
		expect(refused.check('workers')).toBeUndefined();

		await server.stop();
		const started = Date.now();
		const down = await doctorJson(root);
		expect(down.exitCode).toBe(1);
		expect(down.check('queue')!.detail).toMatch(/ECONNREFUSED|no answer within/);
		expect(Date.now() - started).toBeLessThan(30_000);
	});

	it('rediss://: PASS when the server certificate is trusted (NODE_EXTRA_CA_CERTS), FAIL naming the certificate when not', async () => {
		const server = await redis({tls: true, password: 'pw'});
		const {root} = queueRepo(server.url);
		const trusted = await doctorJson(root, {NODE_EXTRA_CA_CERTS: server.caFile!});
		expect(trusted.check('queue')).toMatchObject({ok: true});
		expect(trusted.check('queue')!.detail).toMatch(new RegExp(`^rediss://\\*\\*\\*@127\\.0\\.0\\.1:${server.port}/0 answers`));

		const untrusted = await doctorJson(root);
		expect(untrusted.check('queue')).toMatchObject({ok: false});
		expect(untrusted.check('queue')!.detail).toMatch(/certificate/i);
	});

	it('a local executor: no queue check', async () => {
		const {root} = makeRepo({tickets: [{id: 'A'}]});
		const {check} = await doctorJson(root);
		expect(check('queue')).toBeUndefined();
		expect(check('workers')).toBeUndefined();
	});
});
