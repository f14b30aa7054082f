/**
 * The coordinator's side of worker verbs from afar: a BullMQ worker on the
 * run's verb queue. A request names an attempt; the ticket is this run's own
 * record of that attempt, never the request's. With the attempt's capability,
 * for an attempt running now, the request line goes into that attempt's own
 * worker channel here (core/worker-channel.ts): the same handlers, refusals,
 * in-flight cap and tamper log as a local attempt's. Everything else is
 * refused and logged as a tamper attempt. Applied at most once: the job id is
 * the request, and a job the coordinator was answering when it stopped fails
 * (maxStalledCount 0) instead of being applied again.
 */
import net from 'node:net';
import {randomBytes} from 'node:crypto';
import {DelayedError, Job, Worker, type Queue} from 'bullmq';
import type {Redis} from 'ioredis';
import {sameKey} from '../core/channel-dir.js';
import {ControlReply} from '../core/control.js';
import type {EngineContext} from '../core/context.js';
import {packageVersion} from '../core/paths.js';
import {TamperLog} from '../core/tamper-log.js';
import {wrongVerb, type WorkerChannel} from '../core/worker-channel.js';
import {AttemptJob, versionRefusal} from '../queue/protocol.js';
import {VerbJob, verbQueueName, type VerbReply} from '../queue/remote-verbs-protocol.js';

type Attempt = {ticket: string; attempt: number; capability: string};
type Live = Attempt & {channel: WorkerChannel};

/** Requests answered at once: a flood waits in Redis, not in this process. */
const CONCURRENCY = 4;
/** How long a request for an attempt of this run whose job is still live waits to be claimed (a resumed run registers its attempts one by one). */
const CLAIM_MS = 60_000;
const LIVE_STATES = new Set(['active', 'waiting', 'delayed', 'prioritized', 'waiting-children']);

const refuse = (message: string): VerbReply => ({type: 'error', message});

/** The type a line claims, for the tamper log (the line itself is the channel's to judge). */
function typeOf(line: string | undefined): string {
	try {
		const type = (JSON.parse(line ?? '') as {type?: unknown})?.type;
		return typeof type === 'string' ? type.slice(0, 40) : '?';
	} catch {
		return '?';
	}
}

/** One request into the attempt's own channel here, one reply back. */
function forward(socket: string, line: string): Promise<VerbReply> {
	return new Promise(resolve => {
		const conn = net.createConnection(socket);
		let buffer = '';
		const done = (reply: VerbReply) => {
			conn.destroy();
			resolve(reply);
		};
		conn.setEncoding('utf8');
		conn.on('connect', () => conn.write(line + '\n'));
		conn.on('data', (chunk: string) => {
			buffer += chunk;
			const end = buffer.indexOf('\n');
			if (end < 0) return;
			let json: unknown;
			try {
				json = JSON.parse(buffer.slice(0, end));
			} catch {
				json = undefined;
			}
			const parsed = ControlReply.safeParse(json);
			const reply = parsed.success ? parsed.data : undefined;
			if (reply?.type === 'ok') done({type: 'ok', ...(reply.message ? {message: reply.message} : {})});
			else done(refuse(reply?.type === 'error' ? reply.message : 'the attempt channel answered nothing a worker can use'));
		});
		conn.on('error', () => done(refuse('the attempt is over; its channel takes nothing more')));
		conn.on('close', () => done(refuse('the attempt is over; its channel takes nothing more')));
	});
}

export class VerbsRelay {
	private readonly live = new Map<string, Live>();
	private readonly over = new Map<string, Attempt>();
	private readonly tamper: TamperLog;
	private readonly worker: Worker;
	private readonly started = Date.now();

	constructor(
		private readonly ctx: EngineContext,
		private readonly connection: Redis,
		private readonly attempts: Queue,
	) {
		this.tamper = new TamperLog(ctx.log);
		this.worker = new Worker(verbQueueName(ctx.run.id), (job, token) => this.answer(job, token), {
			connection,
			concurrency: CONCURRENCY,
			lockDuration: 30_000,
			maxStalledCount: 0,
		});
		this.worker.on('error', () => {
			// A lost connection: the outage is reported by the executor's own connections (outage.ts).
		});
	}

	/** An attempt is running on a worker: its requests are answered, by the capability in its job, until `close`. */
	async register(attemptId: string, ticket: string, attempt: number, jobData: unknown): Promise<{close(ended: boolean): Promise<void>}> {
		// A job without a capability of its own (none of this version writes one) gets one nothing can match.
		const capability = AttemptJob.shape.capability.safeParse((jobData as {capability?: unknown})?.capability).data ?? randomBytes(40).toString('hex');
		const channel = await this.ctx.workerChannel(ticket, attempt);
		this.over.delete(attemptId);
		this.live.set(attemptId, {ticket, attempt, capability, channel});
		return {
			// Ended: its later requests are refused and logged. Not ended (the run stopped): they wait for the resumed run.
			close: async ended => {
				if (this.live.get(attemptId)?.channel === channel) this.live.delete(attemptId);
				if (ended) this.over.set(attemptId, {ticket, attempt, capability});
				await channel.close();
			},
		};
	}

	async close(): Promise<void> {
		await this.worker.close().catch(() => {});
		this.tamper.end();
		this.connection.disconnect();
	}

	private async answer(job: Job, token: string | undefined): Promise<VerbReply> {
		const parsed = VerbJob.safeParse(job.data);
		if (!parsed.success) {
			this.tamper.refused({channel: 'worker', verb: '?', detail: `a malformed request on the run's verb queue (${String(job.id).slice(0, 120)})`});
			return refuse(`not a proofloop verb request: ${parsed.error.issues[0]?.message ?? 'invalid'}`);
		}
		const request = parsed.data;
		if (request.version !== packageVersion()) return refuse(versionRefusal(request.version, packageVersion(), request.host));
		const verb = request.refused ?? typeOf(request.line);
		const from = `through the queue from worker ${request.host.slice(0, 80)}`;
		const live = this.live.get(request.attemptId);
		if (!live) {
			const over = this.over.get(request.attemptId);
			if (over) {
				this.tamper.refused({channel: 'worker', ticket: over.ticket, attempt: over.attempt, verb, detail: `a request after the attempt ended, ${from}`});
				return refuse(`the attempt ${over.attempt} of ${over.ticket} is over; its channel takes nothing more`);
			}
			if (this.ctx.stopping() || (await this.claimable(request.attemptId, job))) {
				// Its attempt is about to be registered (a resumed run), or this run is stopping: the request waits, unanswered.
				await job.moveToDelayed(Date.now() + 500, token);
				throw new DelayedError();
			}
			this.tamper.refused({channel: 'worker', verb, detail: `a request for ${request.attemptId.slice(0, 120)}, no attempt running in this run, ${from}`});
			return refuse(`refused: ${request.attemptId.slice(0, 120)} is no attempt running in this run. Logged as a tamper attempt.`);
		}
		const {ticket, attempt} = live;
		if (!sameKey(request.capability, live.capability)) {
			this.tamper.refused({channel: 'worker', ticket, attempt, verb, detail: `a request without attempt ${attempt}'s capability, ${from}`});
			return refuse(`refused: not the capability of ${ticket} attempt ${attempt}. Logged as a tamper attempt.`);
		}
		if (request.refused !== undefined) {
			// The worker refused it already and told its agent; it is logged here, where the run's log is.
			const {message, tamper} = wrongVerb(request.refused, ticket, attempt);
			if (tamper) this.tamper.refused({channel: 'worker', ticket, attempt, verb, detail: `${tamper}, refused by worker ${request.host.slice(0, 80)}`});
			return refuse(message);
		}
		// One line, as the local channel reads them: a line break would smuggle a second request past these checks.
		if (request.line === undefined || /[\r\n]/.test(request.line)) return refuse('invalid message: one request is one JSON object on one line');
		return forward(live.channel.socket, request.line);
	}

	/** A request for an attempt of this run whose job is live in the queue, within CLAIM_MS of this relay's start or the request. */
	private async claimable(attemptId: string, job: Job): Promise<boolean> {
		if (!attemptId.startsWith(`${this.ctx.run.id}/`)) return false;
		if (Date.now() - Math.max(job.timestamp, this.started) > CLAIM_MS) return false;
		const attemptJob = await Job.fromId(this.attempts, attemptId);
		return attemptJob !== undefined && LIVE_STATES.has(await attemptJob.getState());
	}
}
