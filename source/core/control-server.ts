import type net from 'node:net';
import {HumanRequest, parseRequest, WORKER_TYPES, type HumanAct, type StatusSummary} from './control.js';
import {sameKey} from './channel-dir.js';
import type {EventLog} from './event-log.js';
import {readEventLog} from './event-log.js';
import type {EngineEvent} from './events.js';
import type {PeerCheck} from './human-peer.js';
import {LineServer} from './line-server.js';
import {TamperLog} from './tamper-log.js';

/** One handler per human verb (a new verb in HumanAct needs one here), and the status read. */
export type HumanHandlers = {[K in HumanAct['type']]: (request: Extract<HumanAct, {type: K}>, by: string) => Promise<string | void>} & {
	status(): StatusSummary;
};

type Connection = {authed: boolean; unsubscribe?: () => void};

/**
 * The human channel: in the run's private channel directory (never bound into
 * a box), and each connection must first present the engine's key. Who acts is
 * the channel's owner (`by`, given by the engine), whatever a message says.
 */
export class ControlServer {
	#ended = false;
	readonly #inFlight = new Set<Promise<void>>();
	private server!: LineServer<Connection>;

	private constructor(
		private readonly log: EventLog,
		private readonly key: string,
		private readonly by: string,
		private readonly handlers: HumanHandlers,
		private readonly tamper: TamperLog,
		private readonly peer?: PeerCheck,
	) {}

	/** `peer`: asked before every acting request who sent it (the key alone does not tell a person from an unsandboxed agent). */
	static async listen(opts: {
		socket: string;
		log: EventLog;
		key: string;
		by: string;
		handlers: HumanHandlers;
		tamper: TamperLog;
		peer?: PeerCheck;
	}): Promise<ControlServer> {
		const control = new ControlServer(opts.log, opts.key, opts.by, opts.handlers, opts.tamper, opts.peer);
		control.server = await LineServer.listen<Connection>(opts.socket, {
			open: () => ({authed: false}),
			line: (socket, line, state) => control.line(socket, line, state),
			close: state => state.unsubscribe?.(),
		});
		return control;
	}

	get socketPath(): string {
		return this.server.socketPath;
	}

	/**
	 * The run is over: refuse every request that would act (status still
	 * answers), and wait for those already being handled, so none writes
	 * after the final verdict or into a closed log.
	 */
	async end(): Promise<void> {
		this.#ended = true;
		await Promise.all(this.#inFlight);
	}

	/** Idempotent: the engine closes it before its log, and again on every way out. */
	close(): Promise<void> {
		return this.server.close();
	}

	private line(socket: net.Socket, line: string, state: Connection): void {
		const parsed = parseRequest(line, HumanRequest);
		if (!parsed.ok) {
			const hint = parsed.type && WORKER_TYPES.has(parsed.type) ? ' (a worker verb: `proofloop ticket` runs inside an attempt, on its worker channel)' : '';
			this.server.send(socket, {type: 'error', message: parsed.message + hint, ...(parsed.id ? {id: parsed.id} : {})});
			return;
		}
		const request = parsed.request;
		const id = request.id ? {id: request.id} : {};
		if (request.type === 'auth') {
			if (sameKey(request.key, this.key)) {
				state.authed = true;
				this.server.send(socket, {type: 'ok', ...id});
				return;
			}
			this.tamper.refused({channel: 'human', verb: 'auth', detail: 'a wrong key for the human channel'});
			this.server.send(socket, {type: 'error', ...id, message: "refused: wrong key for this run's human channel (logged as a tamper attempt)"});
			this.server.hangUp(socket);
			return;
		}
		if (!state.authed) {
			this.tamper.refused({channel: 'human', verb: request.type, detail: 'a request on the human channel without its key'});
			this.server.send(socket, {
				type: 'error',
				...id,
				message:
					"refused: the human channel answers only after the run's key (the proofloop CLI of the user who started the run sends it); logged as a tamper attempt",
			});
			this.server.hangUp(socket);
			return;
		}
		if (request.type === 'subscribe') {
			state.unsubscribe ??= this.subscribe(socket);
			this.server.send(socket, {type: 'ok', ...id});
			return;
		}
		if (request.type === 'status') {
			this.server.send(socket, {type: 'status', ...id, status: this.handlers.status()});
			return;
		}
		if (this.#ended) {
			// The run is over: nothing may change the tracker or the log after the final verdict.
			this.server.send(socket, {type: 'error', ...id, message: 'the run has ended; nothing more can be changed in it'});
			return;
		}
		const handled = this.act(socket, request, id).finally(() => this.#inFlight.delete(handled));
		this.#inFlight.add(handled);
	}

	private async act(socket: net.Socket, request: HumanAct, id: {id?: string}): Promise<void> {
		try {
			const peer = this.peer ? await this.peer(socket) : {ok: true as const};
			if (!peer.ok) {
				this.tamper.refused({
					channel: 'human',
					verb: request.type,
					detail: peer.detail,
					...(peer.ticket === undefined ? {} : {ticket: peer.ticket}),
					...(peer.attempt === undefined ? {} : {attempt: peer.attempt}),
				});
				this.server.send(socket, {type: 'error', ...id, message: peer.message});
				return;
			}
			if (this.#ended) {
				// The run ended while the sender was being identified: act on nothing after the final verdict.
				this.server.send(socket, {type: 'error', ...id, message: 'the run has ended; nothing more can be changed in it'});
				return;
			}
			const handler = this.handlers[request.type] as (request: HumanAct, by: string) => Promise<string | void>;
			const message = await handler(request, this.by);
			// An answer is a promise that the act holds: what it logged is on disk first.
			await this.log.durable();
			this.server.send(socket, {type: 'ok', ...id, ...(message ? {message} : {})});
		} catch (error) {
			this.server.send(socket, {type: 'error', ...id, message: (error as Error).message});
		}
	}

	// Replay and subscribe in the same tick: the log appends synchronously on
	// this thread, so no event can fall between the two (none lost, none twice).
	private subscribe(socket: net.Socket): () => void {
		const {events} = readEventLog(this.log.file);
		for (const event of events) this.server.send(socket, {type: 'event', event});
		const last = events.at(-1)?.seq ?? 0;
		return this.log.subscribe((event: EngineEvent) => {
			if (event.seq > last) this.server.send(socket, {type: 'event', event});
		});
	}
}
