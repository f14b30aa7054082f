import {execFile, execFileSync, spawn, spawnSync, type ChildProcess} from 'node:child_process';
import {mkdtempSync, openSync, closeSync, readFileSync, rmSync} from 'node:fs';
import {createServer} from 'node:net';
import {tmpdir} from 'node:os';
import path from 'node:path';

/**
 * A real redis-server for the queue tests (#17): each test starts its own on a
 * free loopback port with its own temp dir, and kills it when done. redis-cli
 * (redis-tools, which Debian's redis-server brings) asks it whether it is up.
 *
 * Without redis-server the tests that need one skip LOUDLY (see `redisProbe`);
 * with PROOFLOOP_REDIS_STRICT=1 (set by .ci/run) they fail instead.
 */

export type RedisProbe = {ok: true; bin: string; version: string} | {ok: false; reason: string};

const STRICT = process.env['PROOFLOOP_REDIS_STRICT'] === '1';
const FIX = 'apt-get install redis-server (.ci/run does)';
let probed: RedisProbe | undefined;

function probe(): RedisProbe {
	const bin = process.env['PROOFLOOP_REDIS_SERVER'] ?? 'redis-server';
	const run = spawnSync(bin, ['--version'], {encoding: 'utf8', timeout: 10_000});
	if (run.error) return {ok: false, reason: `${bin} cannot run (${(run.error as NodeJS.ErrnoException).code ?? run.error.message})`};
	if (run.status !== 0) return {ok: false, reason: `${bin} --version exited ${run.status}: ${run.stderr.trim()}`};
	const version = /v=(\S+)/.exec(run.stdout)?.[1] ?? run.stdout.trim();
	const cli = spawnSync('redis-cli', ['--version'], {encoding: 'utf8', timeout: 10_000});
	if (cli.status !== 0) return {ok: false, reason: 'redis-cli (redis-tools) cannot run'};
	return {ok: true, bin, version};
}

/**
 * Whether redis-server runs here, said once per test file: a warning naming the skipped
 * `what` when it does not, or an error under PROOFLOOP_REDIS_STRICT=1 (CI proves nothing by skipping).
 * Use as `describe.skipIf(!redisProbe('QUEUE TESTS').ok)(...)`.
 */
export function redisProbe(what: string): RedisProbe {
	probed ??= probe();
	if (!probed.ok) {
		if (STRICT) throw new Error(`${what} need redis-server and PROOFLOOP_REDIS_STRICT=1: ${probed.reason}. fix: ${FIX}`);
		console.warn(`\n!!! ${what} SKIPPED: ${probed.reason}. fix: ${FIX} !!!\n`);
	}
	return probed;
}

export type RedisServer = {
	/** redis://127.0.0.1:PORT/0 (rediss:// with tls), with the password in it when there is one. */
	url: string;
	/** With tls: the server's self-signed certificate (PEM file), the CA a client must trust (NODE_EXTRA_CA_CERTS). */
	caFile: string | undefined;
	port: number;
	password: string | undefined;
	/** The server's own temp dir (its --dir: dump.rdb and the log). */
	dir: string;
	/** The running server's pid (a new one after restart). */
	pid(): number;
	/** One command through redis-cli (authenticated, over TLS with tls): its raw output, one line per value; nil is ''; an error reply is its text. */
	command(...args: string[]): Promise<string>;
	/**
	 * Stop the server and start it again on the SAME port (the "Redis restarted" fault).
	 * data 'keep' (default): a clean SHUTDOWN SAVE and the dump loaded again, as a Redis with persistence does;
	 * 'lose': SIGKILL, and the new server starts empty. downMs: how long it stays down in between.
	 */
	restart(options?: {data?: 'keep' | 'lose'; downMs?: number}): Promise<void>;
	/** Kill the server and remove its dir. Safe to call twice. */
	stop(): Promise<void>;
};

const live = new Set<ChildProcess>();
// A test file that ends without stop() must not leave a server behind.
process.once('exit', () => {
	for (const child of live) child.kill('SIGKILL');
});

const sleep = (ms: number) => new Promise(resolve => setTimeout(resolve, ms));

/** A port free on 127.0.0.1 right now (the kernel's choice). */
export function freePort(): Promise<number> {
	return new Promise((resolve, reject) => {
		const server = createServer();
		server.unref();
		server.on('error', reject);
		server.listen(0, '127.0.0.1', () => {
			const address = server.address();
			server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
		});
	});
}

const exited = (child: ChildProcess): Promise<void> =>
	child.exitCode !== null || child.signalCode !== null ? Promise.resolve() : new Promise(resolve => child.once('exit', () => resolve()));

/** A self-signed certificate for 127.0.0.1 (its own CA), written into dir. */
function selfSignedCert(dir: string): {cert: string; key: string} {
	const cert = path.join(dir, 'cert.pem');
	const key = path.join(dir, 'key.pem');
	execFileSync(
		'openssl',
		[
			'req',
			'-x509',
			'-newkey',
			'rsa:2048',
			'-nodes',
			'-keyout',
			key,
			'-out',
			cert,
			'-days',
			'2',
			'-subj',
			'/CN=127.0.0.1',
			'-addext',
			'subjectAltName=IP:127.0.0.1',
		],
		{
			stdio: 'ignore',
		},
	);
	return {cert, key};
}

/**
 * Start a redis-server; throws if there is none (call `redisProbe` first to skip).
 * tls: TLS only (no plain port), with a self-signed certificate (`caFile`); needs openssl and a TLS build of redis (Debian's is).
 */
export async function startRedis(options: {password?: string; tls?: boolean; args?: string[]} = {}): Promise<RedisServer> {
	const found = (probed ??= probe());
	if (!found.ok) throw new Error(`redis-server is not available: ${found.reason}. fix: ${FIX}`);
	const dir = mkdtempSync(path.join(tmpdir(), 'pl-redis-'));
	const log = path.join(dir, 'redis.log');
	const {password} = options;
	const tls = options.tls ? selfSignedCert(dir) : undefined;
	// The password goes by environment, not argv (redis-cli's REDISCLI_AUTH).
	const cliEnv = {...process.env, ...(password === undefined ? {} : {REDISCLI_AUTH: password})};
	const cli = (onPort: number, args: string[], timeoutMs = 5000): Promise<{ok: boolean; out: string}> =>
		new Promise(resolve => {
			const target = ['-h', '127.0.0.1', '-p', String(onPort), ...(tls ? ['--tls', '--cacert', tls.cert] : [])];
			execFile('redis-cli', [...target, ...args], {env: cliEnv, encoding: 'utf8', timeout: timeoutMs}, (error, stdout, stderr) =>
				resolve({ok: !error, out: error ? `${stdout}${stderr}`.trim() : stdout.replace(/\n$/, '')}),
			);
		});
	let child: ChildProcess | undefined;
	let port = 0;

	const spawnOn = (onPort: number): ChildProcess => {
		const out = openSync(log, 'a');
		const ports = tls
			? [
					'--port',
					'0',
					'--tls-port',
					String(onPort),
					'--tls-cert-file',
					tls.cert,
					'--tls-key-file',
					tls.key,
					'--tls-ca-cert-file',
					tls.cert,
					'--tls-auth-clients',
					'no',
				]
			: ['--port', String(onPort)];
		const args = [...ports, '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir, '--daemonize', 'no'];
		if (password !== undefined) args.push('--requirepass', password);
		const started = spawn(found.bin, [...args, ...(options.args ?? [])], {stdio: ['ignore', out, out]});
		closeSync(out);
		live.add(started);
		started.once('exit', () => live.delete(started));
		return started;
	};

	// Up when it answers PING (or says NOAUTH: it answers); down if the process exits first.
	const waitUp = async (started: ChildProcess, onPort: number): Promise<boolean> => {
		const deadline = Date.now() + 20_000;
		while (Date.now() < deadline) {
			if (started.exitCode !== null || started.signalCode !== null) return false;
			const ping = await cli(onPort, ['PING'], 2000);
			if (ping.ok && ping.out === 'PONG') return true;
			await sleep(25);
		}
		started.kill('SIGKILL');
		throw new Error(`redis-server on port ${onPort} did not answer PING within 20 s; its log:\n${readFileSync(log, 'utf8')}`);
	};

	// The free port may be taken between the probe and the bind: try another.
	for (let tries = 0; tries < 5 && !child; tries++) {
		const candidate = await freePort();
		const started = spawnOn(candidate);
		if (await waitUp(started, candidate)) {
			child = started;
			port = candidate;
		}
	}
	if (!child) throw new Error(`redis-server did not start; its log:\n${readFileSync(log, 'utf8')}`);

	const command = async (...args: string[]): Promise<string> => {
		const result = await cli(port, args);
		if (!result.ok) throw new Error(`redis-cli ${args.join(' ')} on port ${port}: ${result.out}`);
		return result.out;
	};
	let stopped = false;
	const server: RedisServer = {
		url: `${tls ? 'rediss' : 'redis'}://${password === undefined ? '' : `:${encodeURIComponent(password)}@`}127.0.0.1:${port}/0`,
		port,
		password,
		dir,
		caFile: tls?.cert,
		pid: () => child!.pid!,
		command,
		async restart({data = 'keep', downMs = 0} = {}) {
			const old = child!;
			if (data === 'keep') {
				// SHUTDOWN closes the connection instead of replying: the dump is written once the process is gone.
				await cli(port, ['SHUTDOWN', 'SAVE']);
				const gone = exited(old);
				if (await Promise.race([gone.then(() => true), sleep(10_000).then(() => false)])) {
					// Exited cleanly after saving.
				} else {
					old.kill('SIGKILL');
					await gone;
				}
			} else {
				old.kill('SIGKILL');
				await exited(old);
				rmSync(path.join(dir, 'dump.rdb'), {force: true});
			}
			if (downMs > 0) await sleep(downMs);
			const started = spawnOn(port);
			if (!(await waitUp(started, port))) throw new Error(`redis-server could not start again on port ${port}; its log:\n${readFileSync(log, 'utf8')}`);
			child = started;
		},
		async stop() {
			if (stopped) return;
			stopped = true;
			child!.kill('SIGKILL');
			await exited(child!);
			rmSync(dir, {recursive: true, force: true});
		},
	};
	return server;
}
