/**
 * `proofloop doctor` with "executor": {"kind": "queue"}: can this machine reach the queue,
 * and which workers are connected to it now. The URL is shown without its password.
 */
import {Redis} from 'ioredis';
import {Queue} from 'bullmq';
import type {DoctorCheck} from '../agents/doctor.js';
import {CONFIG_PATH} from '../core/config.js';
import {QUEUE_NAME, redactUrl} from '../queue/protocol.js';

/**
 * A connected worker from CLIENT LIST (BullMQ's getWorkers): its connection is named
 * `<prefix>:<queue>:w:<worker name>`, and a proofloop worker's name is `<host>@<version>`.
 */
export function workerOf(client: {rawname?: string}): {host: string; version: string | undefined} {
	const raw = client.rawname ?? '';
	const named = raw.includes(':w:') ? raw.slice(raw.indexOf(':w:') + 3) : '';
	const at = named.lastIndexOf('@');
	if (at <= 0) return {host: named || 'a worker without a name', version: undefined};
	return {host: named.slice(0, at), version: named.slice(at + 1)};
}

type QueueLook = {redisVersion: string; workers: {host: string; version: string | undefined}[] | undefined; waiting: number; running: number};

/** Connect once (no retries, a hard deadline), read the workers and the job counts, disconnect. */
async function lookAtQueue(url: string, timeoutMs: number): Promise<QueueLook> {
	const redis = new Redis(url, {
		lazyConnect: true,
		connectTimeout: timeoutMs,
		disconnectTimeout: 100,
		maxRetriesPerRequest: 0,
		enableOfflineQueue: false,
		retryStrategy: () => null,
	});
	// The first error event is the cause (refused, a certificate, WRONGPASS); what the awaited call throws may only say "Connection is closed".
	let cause: Error | undefined;
	redis.on('error', (error: Error) => (cause ??= error));
	let timer: NodeJS.Timeout | undefined;
	const deadline = new Promise<never>((_, reject) => {
		timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs / 1000} s`)), timeoutMs);
	});
	let queue: Queue | undefined;
	try {
		return await Promise.race([
			(async () => {
				await redis.connect();
				// Made once connected: BullMQ connects a connection it is given that is not.
				queue = new Queue(QUEUE_NAME, {connection: redis});
				queue.on('error', () => undefined);
				const info = await redis.info('server');
				const workers = await queue.getWorkers();
				const counts = await queue.getJobCounts('wait', 'prioritized', 'delayed', 'active');
				return {
					redisVersion: /redis_version:(\S+)/.exec(info)?.[1] ?? 'unknown version',
					// undefined: this Redis does not allow CLIENT LIST (some managed ones).
					workers: (workers as {rawname?: string}[] | undefined)?.map(workerOf),
					waiting: (counts['wait'] ?? 0) + (counts['prioritized'] ?? 0) + (counts['delayed'] ?? 0),
					running: counts['active'] ?? 0,
				};
			})(),
			deadline,
		]);
	} catch (error) {
		throw cause ?? error;
	} finally {
		clearTimeout(timer);
		await queue?.close().catch(() => undefined);
		redis.disconnect();
	}
}

/** The queue checks: reachable (a FAIL if not), and the live workers (a warning when none, or on another version). */
export async function queueChecks(url: string, version: string, timeoutMs = 5000): Promise<DoctorCheck[]> {
	const shown = redactUrl(url);
	let look: QueueLook;
	try {
		look = await lookAtQueue(url, timeoutMs);
	} catch (error) {
		const password = (() => {
			try {
				return decodeURIComponent(new URL(url).password);
			} catch {
				return '';
			}
		})();
		let why = (error as Error).message || String(error);
		if (password !== '') why = why.split(password).join('***');
		return [
			{
				name: 'queue',
				ok: false,
				detail: `cannot use ${shown}: ${why}`,
				fix:
					`check "executor.url" in ${CONFIG_PATH} and that this machine reaches it: redis://:PASSWORD@HOST:PORT/DB, ` +
					'rediss:// for TLS (a server certificate of your own CA: NODE_EXTRA_CA_CERTS=ca.pem)',
			},
		];
	}
	const checks: DoctorCheck[] = [
		{
			name: 'queue',
			ok: true,
			detail: `${shown} answers (Redis ${look.redisVersion}); queue '${QUEUE_NAME}': ${look.waiting} waiting, ${look.running} running`,
		},
	];
	if (look.workers === undefined) {
		checks.push({name: 'workers', ok: true, optional: true, detail: 'unknown: this Redis does not allow CLIENT LIST, which lists the connected workers'});
		return checks;
	}
	const workers = [...look.workers].sort((a, b) => a.host.localeCompare(b.host));
	const other = workers.filter(w => w.version !== version);
	checks.push({
		name: 'workers',
		ok: workers.length > 0 && other.length === 0,
		optional: true,
		detail:
			workers.length === 0
				? 'none connected: attempts will wait in the queue until a worker takes them'
				: `${workers.length} live: ${workers.map(w => `${w.host} (proofloop ${w.version ?? '?'})`).join(', ')}` +
					(other.length > 0 ? `; not at this proofloop's version ${version}, refused at handshake: ${other.map(w => w.host).join(', ')}` : ''),
		fix:
			workers.length === 0
				? `start workers where the agent CLIs are: proofloop worker --queue URL --remote GIT_URL (README "Workers on other machines")`
				: `run proofloop ${version} on every worker`,
	});
	return checks;
}
