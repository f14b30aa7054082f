import {readFileSync} from 'node:fs';
import {Queue, Worker} from 'bullmq';
import {Redis} from 'ioredis';
import {parseAllDocuments} from 'yaml';
import {afterEach, describe, expect, it} from 'vitest';
import {QUEUE_NAME} from '../../source/queue/protocol.js';
import {redisProbe, startRedis, type RedisServer} from '../helpers/redis-server.js';

// deploy/k8s/keda.yaml scales the workers on two Redis list lengths: those lists must be where the
// installed BullMQ keeps our queue's waiting and running jobs, or KEDA scales on nothing.
const probe = redisProbe('KEDA LIST TESTS');

type Trigger = {type: string; metadata: {listName: string}};
const listNames = (): string[] => {
	const docs = parseAllDocuments(readFileSync('deploy/k8s/keda.yaml', 'utf8')).map(doc => doc.toJS() as {kind: string; spec: {triggers?: Trigger[]}});
	return docs.find(doc => doc.kind === 'ScaledObject')!.spec.triggers!.map(t => t.metadata.listName);
};

describe.skipIf(!probe.ok)("KEDA's lists are BullMQ's", () => {
	const closers: (() => Promise<unknown>)[] = [];
	afterEach(async () => {
		for (const close of closers.splice(0).reverse()) await close();
	});

	it('an attempt job queued is in the wait list, one a worker took is in the active list', async () => {
		const server: RedisServer = await startRedis({password: 'pw'});
		closers.push(() => server.stop());
		const [wait, active] = listNames();
		const length = async (list: string) => Number(await server.command('LLEN', list!));

		const queue = new Queue(QUEUE_NAME, {connection: {url: server.url}});
		closers.push(() => queue.close());
		// As the queue executor adds an attempt (executor/queue.ts): a job id, one try.
		await queue.add('attempt', {}, {jobId: 'run-1/A/a1', attempts: 1});
		expect(await length(wait!)).toBe(1);
		expect(await length(active!)).toBe(0);

		let release: () => void = () => {};
		const taken = new Promise<void>(resolve => {
			const connection = new Redis(server.url, {maxRetriesPerRequest: null});
			const worker = new Worker(
				QUEUE_NAME,
				async () => {
					resolve();
					await new Promise<void>(done => (release = done));
				},
				{connection},
			);
			closers.push(async () => {
				release();
				await worker.close();
				connection.disconnect();
			});
		});
		await taken;
		expect(await length(wait!)).toBe(0);
		expect(await length(active!)).toBe(1);
	});
});
