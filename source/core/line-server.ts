import {chmodSync, existsSync, unlinkSync} from 'node:fs';
import net from 'node:net';
import type {ControlReply} from './control.js';

/** A client that falls this far behind is dropped instead of growing our memory. */
const MAX_CLIENT_BACKLOG = 16 * 1024 * 1024;
/** One message longer than this is garbage (or an attack): the connection is dropped. */
export const MAX_LINE = 1024 * 1024;

/** One connection's lines, handed over in order; `state` is the channel's per-connection memory. */
export type LineHandler<S> = {
	open(socket: net.Socket): S;
	line(socket: net.Socket, line: string, state: S): void;
	close?(state: S): void;
};

/**
 * A local socket speaking newline-delimited JSON: owner-only, one buffer per
 * client with a size cap, replies that never block the engine. What a line
 * means is the channel's business (control-server.ts, worker-channel.ts).
 */
export class LineServer<S> {
	private readonly server: net.Server;
	private readonly clients = new Set<net.Socket>();
	private readonly hungUp = new WeakSet<net.Socket>();
	#closed: Promise<void> | undefined;

	private constructor(
		readonly socketPath: string,
		private readonly handler: LineHandler<S>,
	) {
		this.server = net.createServer(socket => this.accept(socket));
	}

	static async listen<S>(socketPath: string, handler: LineHandler<S>, opts: {maxConnections?: number} = {}): Promise<LineServer<S>> {
		// A socket file left by a dead engine (the run lock already proved it dead) blocks listen().
		if (existsSync(socketPath)) unlinkSync(socketPath);
		const server = new LineServer(socketPath, handler);
		// A peer opening connection after connection must not take the engine's file descriptors.
		server.server.maxConnections = opts.maxConnections ?? 64;
		await new Promise<void>((resolve, reject) => {
			server.server.once('error', reject);
			server.server.listen(socketPath, () => resolve());
		});
		chmodSync(socketPath, 0o600);
		return server;
	}

	/** Idempotent. Clients are ended, a stuck one destroyed after a second, the socket file removed. */
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

	/** Say the last reply and close: its bytes are flushed first (a destroy would drop them); nothing more is read. */
	hangUp(socket: net.Socket): void {
		this.hungUp.add(socket);
		socket.end();
		// A peer that does not read must not keep it open.
		setTimeout(() => socket.destroy(), 1000).unref();
	}

	send(socket: net.Socket, reply: ControlReply): void {
		if (socket.destroyed) return;
		if (socket.writableLength > MAX_CLIENT_BACKLOG) {
			socket.destroy();
			return;
		}
		socket.write(JSON.stringify(reply) + '\n');
	}

	private accept(socket: net.Socket): void {
		this.clients.add(socket);
		let buffer = '';
		let state: S | undefined;
		try {
			state = this.handler.open(socket);
		} catch {
			socket.destroy();
			return;
		}
		socket.setEncoding('utf8');
		socket.on('data', (chunk: string) => {
			if (this.hungUp.has(socket)) return;
			buffer += chunk;
			let newline: number;
			while ((newline = buffer.indexOf('\n')) >= 0) {
				const line = buffer.slice(0, newline).trim();
				buffer = buffer.slice(newline + 1);
				if (!line) continue;
				if (line.length > MAX_LINE) {
					this.send(socket, {type: 'error', message: 'message too long'});
					this.hangUp(socket);
					return;
				}
				try {
					this.handler.line(socket, line, state);
				} catch (error) {
					// Whatever a peer sends, the engine goes on.
					this.send(socket, {type: 'error', message: `refused: ${(error as Error).message}`});
				}
				if (socket.destroyed || this.hungUp.has(socket)) return;
			}
			if (buffer.length > MAX_LINE) {
				buffer = '';
				this.send(socket, {type: 'error', message: 'message too long'});
				this.hangUp(socket);
			}
		});
		const drop = () => {
			if (!this.clients.delete(socket)) return;
			this.handler.close?.(state);
		};
		socket.on('close', drop);
		socket.on('error', drop);
	}
}
