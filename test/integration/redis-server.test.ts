import {existsSync, readFileSync} from 'node:fs';
import {afterEach, describe, expect, it} from 'vitest';
import {redisProbe, startRedis, type RedisServer} from '../helpers/redis-server.js';
import {spawnSync} from 'node:child_process';

// The queue tests' real Redis (test/helpers/redis-server.ts): what they rely on it for.
const alive = (pid: number) => {
	try {
		process.kill(pid, 0);
		return true;
	} catch {
		return false;
	}
};
/** redis-cli without the helper's password: what a stranger on the port gets. */
const cli = (port: number, ...args: string[]) => spawnSync('redis-cli', ['-h', '127.0.0.1', '-p', String(port), ...args], {encoding: 'utf8', timeout: 10_000});
const probe = redisProbe('REDIS HELPER TESTS');

describe.skipIf(!probe.ok)(`the test redis-server (${probe.ok ? probe.version : 'SKIPPED'})`, () => {
	const servers: RedisServer[] = [];
	const start = async (options?: Parameters<typeof startRedis>[0]) => {
		const server = await startRedis(options);
		servers.push(server);
		return server;
	};
	afterEach(async () => {
		await Promise.all(servers.splice(0).map(s => s.stop()));
	});

	it('answers on its own loopback port, in its own dir, and is gone after stop()', async () => {
		const [a, b] = await Promise.all([start(), start()]);
		expect(a.port).not.toBe(b.port);
		expect(a.url).toBe(`redis://127.0.0.1:${a.port}/0`);
		expect(await a.command('PING')).toBe('PONG');
		await a.command('SET', 'k', 'in a');
		expect(await b.command('GET', 'k')).toBe('');
		expect(await a.command('GET', 'k')).toBe('in a');
		const pid = a.pid();
		expect(alive(pid)).toBe(true);

		await a.stop();
		await a.stop();
		expect(alive(pid)).toBe(false);
		expect(existsSync(a.dir)).toBe(false);
		await expect(a.command('PING')).rejects.toThrow(/Connection refused/);
		expect(await b.command('PING')).toBe('PONG');
	});

	it('restarts on the same port, keeping its data by default and losing it on request', async () => {
		const server = await start();
		const before = server.pid();
		await server.command('RPUSH', 'bull:q:wait', 'job-1');
		await server.restart({downMs: 200});
		expect(server.pid()).not.toBe(before);
		expect(alive(before)).toBe(false);
		expect(alive(server.pid())).toBe(true);
		expect(await server.command('LRANGE', 'bull:q:wait', '0', '-1')).toBe('job-1');

		await server.restart({data: 'lose'});
		expect(await server.command('LLEN', 'bull:q:wait')).toBe('0');
	});

	it('with a password: refuses commands without AUTH, and the URL carries the password encoded', async () => {
		const server = await start({password: 'p@ss:w/rd'});
		expect(server.url).toBe(`redis://:p%40ss%3Aw%2Frd@127.0.0.1:${server.port}/0`);
		expect(cli(server.port, 'GET', 'k').stdout).toMatch(/^NOAUTH/);
		expect(await server.command('PING')).toBe('PONG');
		await server.restart();
		expect(await server.command('PING')).toBe('PONG');
	});

	it('with tls: rediss:// only, answering a client that trusts its certificate', async () => {
		const server = await start({tls: true, password: 'pw'});
		expect(server.url).toBe(`rediss://:pw@127.0.0.1:${server.port}/0`);
		expect(readFileSync(server.caFile!, 'utf8')).toMatch(/BEGIN CERTIFICATE/);
		expect(await server.command('PING')).toBe('PONG');
		// Plain text to a TLS port, and TLS without trusting its certificate: no answer.
		expect(cli(server.port, 'PING').stdout).not.toContain('PONG');
		expect(cli(server.port, '--tls', 'PING').stdout).not.toContain('PONG');
		expect(cli(server.port, '--tls', '--cacert', server.caFile!, '--pass', 'pw', '--no-auth-warning', 'PING').stdout).toBe('PONG\n');
	});
});
