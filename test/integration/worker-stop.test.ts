import {mkdtempSync} from 'node:fs';
import {tmpdir} from 'node:os';
import path from 'node:path';
import {execa, execaSync} from 'execa';
import {afterEach, describe, expect, it} from 'vitest';
import {CLI} from '../helpers/repo.js';
import {redisProbe, startRedis} from '../helpers/redis-server.js';

// A worker told to stop stops, even when its Redis is gone (Kubernetes sends one SIGTERM at a
// scale-down, then waits the whole grace period before SIGKILL).
const probe = redisProbe('WORKER STOP TESTS');

describe.skipIf(!probe.ok)('proofloop worker stops on a signal with its Redis gone', () => {
	const cleanups: (() => Promise<unknown>)[] = [];
	afterEach(async () => {
		for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
	});

	it.each([['SIGTERM'], ['SIGINT']] as const)('%s, no attempt running: it exits 0 within seconds', async signal => {
		const server = await startRedis();
		cleanups.push(() => server.stop());
		const dir = mkdtempSync(path.join(tmpdir(), 'pl-stop-'));
		execaSync('git', ['init', '-q', '--bare', '-b', 'main', path.join(dir, 'remote.git')]);
		const worker = execa(process.execPath, [CLI, 'worker', '--queue', server.url, '--remote', path.join(dir, 'remote.git'), '--dir', path.join(dir, 'w')], {
			reject: false,
			stdin: 'ignore',
		});
		cleanups.push(async () => {
			worker.kill('SIGKILL');
			await worker;
		});
		let out = '';
		await new Promise<void>((resolve, reject) => {
			worker.stdout!.on('data', (chunk: Buffer) => {
				out += chunk.toString();
				if (out.includes('taking attempts')) resolve();
			});
			void worker.then(r => reject(new Error(`the worker exited ${r.exitCode}: ${out}${String(r.stderr)}`)));
		});
		await server.stop();
		// Until it has seen Redis go, a stop would be the ordinary one.
		await new Promise<void>(resolve => {
			const seen = () => out.includes('unreachable') && resolve();
			worker.stdout!.on('data', seen);
			seen();
		});
		const sent = Date.now();
		worker.kill(signal);
		const result = await Promise.race([worker, new Promise(resolve => setTimeout(() => resolve('still running'), 20_000))]);
		expect(result).toMatchObject({exitCode: 0});
		expect(Date.now() - sent).toBeLessThan(20_000);
	});
});
