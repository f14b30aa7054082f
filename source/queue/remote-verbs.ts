/**
 * The worker's side of worker verbs from afar: each remote attempt gets a
 * socket of its own, where a local attempt's channel would be (PROOFLOOP_CONTROL,
 * bound into its box alone), so `proofloop ticket file|note|blocked` works
 * unchanged. Each request becomes a job on the run's verb queue, with the
 * attempt's capability; the coordinator's answer comes back as the job's result.
 * Human verbs are refused here (and the coordinator refuses them again).
 */
import {randomBytes} from 'node:crypto';
import path from 'node:path';
import type net from 'node:net';
import {Queue, QueueEvents, type Job} from 'bullmq';
import type {Redis} from 'ioredis';
import {channelDirFor, ensurePrivateDir, workerSocketPath} from '../core/channel-dir.js';
import {parseRequest, WORKER_TYPES, WorkerRequest} from '../core/control.js';
import {LineServer} from '../core/line-server.js';
import {MAX_IN_FLIGHT, wrongVerb} from '../core/worker-channel.js';
import type {AttemptJob} from './protocol.js';
import {VerbReply, verbJobId, verbQueueName, type VerbJob} from './remote-verbs-protocol.js';

export type RemoteVerbs = {socket: string; close(): Promise<void>};

/** Refusals reported to the coordinator per attempt: its tamper log keeps 20 per channel, a flood need not cross the network. */
const REPORTED = 20;
/** How long an ending attempt waits for answers still on their way (its agent has exited; no one may be listening). */
const DRAIN_MS = 10_000;
const KEEP = {age: 3600};

export async function openRemoteVerbs(
	job: AttemptJob,
	side: {redis: Redis; host: string; version: string; root: string; env: NodeJS.ProcessEnv},
): Promise<RemoteVerbs> {
	const {ticket, attempt} = job;
	const channels = channelDirFor(path.join(side.root, '.proofloop', 'worker'), side.env);
	ensurePrivateDir(path.dirname(channels.dir));
	ensurePrivateDir(channels.dir);
	const queue = new Queue(verbQueueName(job.runId), {connection: side.redis});
	// Opened on the first request (most agents never send one): it needs a connection of its own.
	let events: Promise<QueueEvents> | undefined;
	let eventsConnection: Redis | undefined;
	const listen = () =>
		(events ??= (async () => {
			eventsConnection = side.redis.duplicate();
			const e = new QueueEvents(verbQueueName(job.runId), {connection: eventsConnection});
			e.on('error', () => {});
			await e.waitUntilReady();
			return e;
		})());
	const add = (fields: Pick<VerbJob, 'line' | 'refused'>) => {
		const data: VerbJob = {version: side.version, attemptId: job.attemptId, capability: job.capability, host: side.host, ...fields};
		return queue.add('verb', data, {jobId: verbJobId(job.attemptId, randomBytes(8).toString('hex')), attempts: 1, removeOnComplete: KEEP, removeOnFail: KEEP});
	};
	const unanswered = new Set<Job>();
	const ask = async (line: string): Promise<VerbReply> => {
		const e = await listen();
		const added = await add({line});
		unanswered.add(added);
		try {
			return VerbReply.parse(await added.waitUntilFinished(e));
		} catch (error) {
			// At most once: a coordinator that stopped mid-answer may or may not have applied it (README, "Workers on other machines").
			return {
				type: 'error',
				message: `the coordinator did not finish answering (${(error as Error).message}): it may or may not have taken this request; check before sending it again`,
			};
		} finally {
			unanswered.delete(added);
		}
	};
	const inFlight = new Set<Promise<void>>();
	let reported = 0;
	let ended = false;
	const server: LineServer<null> = await LineServer.listen<null>(
		workerSocketPath(channels),
		{
			open: () => null,
			line: (socket: net.Socket, line: string) => {
				const parsed = parseRequest(line, WorkerRequest);
				if (!parsed.ok) {
					const id = parsed.id ? {id: parsed.id} : {};
					if (parsed.type !== undefined && !WORKER_TYPES.has(parsed.type)) {
						const refusal = wrongVerb(parsed.type, ticket, attempt);
						// Refused here, never sent on; only its name goes to the run's tamper log.
						if (refusal.tamper && reported++ < REPORTED) void add({refused: parsed.type}).catch(() => {});
						server.send(socket, {type: 'error', ...id, message: refusal.message});
						return;
					}
					server.send(socket, {type: 'error', ...id, message: parsed.message});
					return;
				}
				const {id: requestId, ...request} = parsed.request;
				const id = requestId ? {id: requestId} : {};
				if (ended) {
					server.send(socket, {type: 'error', ...id, message: `the attempt ${attempt} of ${ticket} is over; its channel takes nothing more`});
					return;
				}
				if (inFlight.size >= MAX_IN_FLIGHT) {
					server.send(socket, {
						type: 'error',
						...id,
						message: `busy: ${MAX_IN_FLIGHT} requests of this attempt are still being answered; wait for their replies`,
					});
					return;
				}
				const handled = ask(JSON.stringify(request))
					.catch((error: Error): VerbReply => ({type: 'error', message: `the queue did not take the request: ${error.message}`}))
					.then(reply => server.send(socket, {...reply, ...id}))
					.finally(() => inFlight.delete(handled));
				inFlight.add(handled);
			},
		},
		{maxConnections: 16},
	);
	return {
		socket: server.socketPath,
		close: async () => {
			ended = true;
			let timer: NodeJS.Timeout | undefined;
			await Promise.race([Promise.all(inFlight), new Promise(resolve => (timer = setTimeout(resolve, DRAIN_MS)))]);
			clearTimeout(timer);
			// Still waiting (the coordinator away): withdrawn, so never applied after its attempt; one being answered cannot be, and is answered once.
			await Promise.all([...unanswered].map(job => job.remove().catch(() => {})));
			await server.close();
			const e = await events?.catch(() => undefined);
			await e?.close().catch(() => {});
			eventsConnection?.disconnect();
			await queue.close().catch(() => {});
		},
	};
}
