import type net from 'node:net';
import {HUMAN_TYPES, parseRequest, WORKER_TYPES, WorkerRequest} from './control.js';
import {workerSocketPath, type ChannelDir} from './channel-dir.js';
import {LineServer} from './line-server.js';
import type {TamperLog} from './tamper-log.js';

/** What a worker may ask; the ticket (`from`) is the channel's, never the message's. */
export type WorkerHandlers = {
	file(request: Extract<WorkerRequest, {type: 'file'}> & {from: string}): Promise<string | void>;
	note(ticket: string, text: string): Promise<string | void>;
	blocked(request: Extract<WorkerRequest, {type: 'blocked'}> & {from: string}): Promise<string | void>;
};

const READS = new Set(['status', 'subscribe']);
/** A worker asks one thing at a time; a flood waits for its answers instead of queueing engine work without end. */
export const MAX_IN_FLIGHT = 16;

export type WorkerChannel = {socket: string; close(): Promise<void>};

/**
 * A type a worker channel does not serve: the refusal it answers, and the
 * tamper log's detail (none for a read: status and the event stream change nothing).
 * Shared with the queue worker's relay (queue/remote-verbs.ts), which refuses the same way.
 */
export function wrongVerb(type: string, ticket: string, attempt: number): {message: string; tamper?: string} {
	const human = HUMAN_TYPES.has(type);
	const what = human ? `\`${type}\` is a human's verb, served only on the human channel` : `\`${type}\` is no verb`;
	const read = READS.has(type);
	return {
		message:
			`refused: this is the worker channel of ${ticket} attempt ${attempt}; it serves only \`proofloop ticket file\`, \`note\` and \`blocked\`. ` +
			`${what}.${read ? '' : ' Logged as a tamper attempt.'}`,
		...(read ? {} : {tamper: human ? `a human verb on ${ticket}'s worker channel` : `an unknown verb on ${ticket}'s worker channel`}),
	};
}

/**
 * One attempt's channel: a socket of its own, bound into that attempt's box
 * alone, serving `ticket file|note|blocked` for exactly that ticket. A human
 * verb sent here is refused, saying so, and logged as a tamper attempt with
 * the ticket and attempt. Closed (the file removed) when the attempt's agent
 * is over, after the requests it sent are answered.
 */
export async function openWorkerChannel(opts: {
	channels: ChannelDir;
	ticket: string;
	attempt: number;
	handlers: WorkerHandlers;
	tamper: TamperLog;
}): Promise<WorkerChannel> {
	const {ticket, attempt, handlers, tamper} = opts;
	const inFlight = new Set<Promise<void>>();
	let ended = false;
	const server: LineServer<null> = await LineServer.listen<null>(
		workerSocketPath(opts.channels),
		{
			open: () => null,
			line: (socket, line) => {
				const parsed = parseRequest(line, WorkerRequest);
				if (!parsed.ok) {
					const id = parsed.id ? {id: parsed.id} : {};
					if (parsed.type !== undefined && !WORKER_TYPES.has(parsed.type)) {
						const refusal = wrongVerb(parsed.type, ticket, attempt);
						if (refusal.tamper) tamper.refused({channel: 'worker', ticket, attempt, verb: parsed.type, detail: refusal.tamper});
						server.send(socket, {type: 'error', ...id, message: refusal.message});
						return;
					}
					server.send(socket, {type: 'error', ...id, message: parsed.message});
					return;
				}
				const request = parsed.request;
				const id = request.id ? {id: request.id} : {};
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
				const handled = answer(server, socket, id, () => {
					if (request.type === 'note') return handlers.note(ticket, request.text);
					if (request.type === 'file') return handlers.file({...request, from: ticket});
					return handlers.blocked({...request, from: ticket});
				}).finally(() => inFlight.delete(handled));
				inFlight.add(handled);
			},
		},
		{maxConnections: 16},
	);
	return {
		socket: server.socketPath,
		close: async () => {
			ended = true;
			await Promise.all(inFlight);
			await server.close();
		},
	};
}

async function answer(server: LineServer<null>, socket: net.Socket, id: {id?: string}, work: () => Promise<string | void>): Promise<void> {
	try {
		const message = await work();
		server.send(socket, {type: 'ok', ...id, ...(message ? {message} : {})});
	} catch (error) {
		server.send(socket, {type: 'error', ...id, message: (error as Error).message});
	}
}
