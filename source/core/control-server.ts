import {chmodSync, existsSync, unlinkSync} from 'node:fs';
import {createHash} from 'node:crypto';
import net from 'node:net';
import {tmpdir} from 'node:os';
import path from 'node:path';
import {parseRequest, type ControlReply, type ControlRequest, type StatusSummary} from './control.js';
import type {EventLog} from './event-log.js';
import {readEventLog} from './event-log.js';
import type {EngineEvent} from './events.js';

export type ControlHandlers = {
	pause(by: string): Promise<string | void>;
	resume(by: string): Promise<string | void>;
	gate(ticket: string, reason: string, by: string): Promise<string | void>;
	ungate(ticket: string, by: string): Promise<string | void>;
	stop(by: string): Promise<string | void>;
	file(request: Extract<ControlRequest, {type: 'file'}>): Promise<string | void>;
	note(ticket: string, text: string): Promise<string | void>;
	blocked(request: Extract<ControlRequest, {type: 'blocked'}>): Promise<string | void>;
	status(): StatusSummary;
};

// A Unix socket path must fit in sun_path (108 bytes on Linux); a deep repo
// gets a short path in the temp dir instead, named by the run dir's hash.
export function socketPathFor(runDirPath: string): string {
	const inRunDir = path.join(runDirPath, 'control.sock');
	if (Buffer.byteLength(inRunDir) < 100) return inRunDir;
	const digest = createHash('sha256').update(runDirPath).digest('hex').slice(0, 16);
	return path.join(tmpdir(), `proofloop-${digest}.sock`);
}

/** A client that falls this far behind is dropped instead of growing our memory. */
const MAX_CLIENT_BACKLOG = 16 * 1024 * 1024;

export class ControlServer {
	private readonly server: net.Server;
	private readonly clients = new Set<net.Socket>();

	private constructor(
		readonly socketPath: string,
		private readonly log: EventLog,
		private readonly handlers: ControlHandlers,
	) {
		this.server = net.createServer(socket => this.accept(socket));
	}

	static async listen(socketPath: string, log: EventLog, handlers: ControlHandlers): Promise<ControlServer> {
		// A socket file left by a dead engine (the run lock already proved it dead) blocks listen().
		if (existsSync(socketPath)) unlinkSync(socketPath);
		const control = new ControlServer(socketPath, log, handlers);
		await new Promise<void>((resolve, reject) => {
			control.server.once('error', reject);
			control.server.listen(socketPath, () => resolve());
		});
		chmodSync(socketPath, 0o600);
		return control;
	}

	#closed: Promise<void> | undefined;
	#ended = false;
	readonly #inFlight = new Set<Promise<void>>();

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
		this.#closed ??= this.#close();
		return this.#closed;
	}

	async #close(): Promise<void> {
		for (const socket of this.clients) socket.end();
		// A client that does not read (a stuck terminal) must not keep the engine from exiting.
		const stuck = setTimeout(() => {
			for (const socket of this.clients) socket.destroy();
		}, 1000);
		await new Promise<void>(resolve => this.server.close(() => resolve()));
		clearTimeout(stuck);
		if (existsSync(this.socketPath)) unlinkSync(this.socketPath);
	}

	private accept(socket: net.Socket): void {
		this.clients.add(socket);
		let buffer = '';
		let unsubscribe: (() => void) | undefined;
		socket.setEncoding('utf8');
		socket.on('data', (chunk: string) => {
			buffer += chunk;
			if (buffer.length > 1024 * 1024) {
				this.send(socket, {type: 'error', message: 'message too long'});
				socket.destroy();
				return;
			}
			let newline: number;
			while ((newline = buffer.indexOf('\n')) >= 0) {
				const line = buffer.slice(0, newline).trim();
				buffer = buffer.slice(newline + 1);
				if (!line) continue;
				const parsed = parseRequest(line);
				if (!parsed.ok) {
					this.send(socket, {type: 'error', message: parsed.message, ...(parsed.id ? {id: parsed.id} : {})});
					continue;
				}
				if (parsed.request.type === 'subscribe') {
					unsubscribe ??= this.subscribe(socket);
					this.send(socket, {type: 'ok', ...(parsed.request.id ? {id: parsed.request.id} : {})});
					continue;
				}
				if (this.#ended && parsed.request.type !== 'status') {
					// The run is over: nothing may change the tracker or the log after the final verdict.
					this.send(socket, {type: 'error', message: 'the run has ended; nothing more can be changed in it', ...(parsed.request.id ? {id: parsed.request.id} : {})});
					continue;
				}
				const handled = this.handle(socket, parsed.request).finally(() => this.#inFlight.delete(handled));
				this.#inFlight.add(handled);
			}
		});
		const drop = () => {
			unsubscribe?.();
			this.clients.delete(socket);
		};
		socket.on('close', drop);
		socket.on('error', drop);
	}

	// Replay and subscribe in the same tick: the log appends synchronously on
	// this thread, so no event can fall between the two (none lost, none twice).
	private subscribe(socket: net.Socket): () => void {
		const {events} = readEventLog(this.log.file);
		for (const event of events) this.send(socket, {type: 'event', event});
		const last = events.at(-1)?.seq ?? 0;
		return this.log.subscribe((event: EngineEvent) => {
			if (event.seq > last) this.send(socket, {type: 'event', event});
		});
	}

	private async handle(socket: net.Socket, request: Exclude<ControlRequest, {type: 'subscribe'}>): Promise<void> {
		const id = request.id ? {id: request.id} : {};
		try {
			switch (request.type) {
				case 'status':
					this.send(socket, {type: 'status', ...id, status: this.handlers.status()});
					return;
				case 'pause':
					return this.ok(socket, id, await this.handlers.pause(request.by));
				case 'resume':
					return this.ok(socket, id, await this.handlers.resume(request.by));
				case 'gate':
					return this.ok(socket, id, await this.handlers.gate(request.ticket, request.reason, request.by));
				case 'ungate':
					return this.ok(socket, id, await this.handlers.ungate(request.ticket, request.by));
				case 'stop':
					return this.ok(socket, id, await this.handlers.stop(request.by));
				case 'file':
					return this.ok(socket, id, await this.handlers.file(request));
				case 'note':
					return this.ok(socket, id, await this.handlers.note(request.from, request.text));
				case 'blocked':
					return this.ok(socket, id, await this.handlers.blocked(request));
			}
		} catch (error) {
			this.send(socket, {type: 'error', ...id, message: (error as Error).message});
		}
	}

	private ok(socket: net.Socket, id: {id?: string}, message: string | void): void {
		this.send(socket, {type: 'ok', ...id, ...(message ? {message} : {})});
	}

	private send(socket: net.Socket, reply: ControlReply): void {
		if (socket.destroyed) return;
		if (socket.writableLength > MAX_CLIENT_BACKLOG) {
			socket.destroy();
			return;
		}
		socket.write(JSON.stringify(reply) + '\n');
	}
}
