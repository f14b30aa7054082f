import {existsSync, readFileSync} from 'node:fs';
import {hostname, userInfo} from 'node:os';
import net from 'node:net';
import path from 'node:path';
import {z} from 'zod';
import {ControlReply, type Control, type StatusSummary, type WireRequest} from './control.js';
import {readKey} from './channel-dir.js';
import type {EngineEvent} from './events.js';
import {runDir} from './run-dir.js';
import {isStale, readLock} from './run-lock.js';
import {parseJsonWith} from './json-schema-parse.js';

export const ControlAddress = z.object({socket: z.string(), pid: z.number(), runId: z.string()});
export type ControlAddress = z.infer<typeof ControlAddress>;

export const controlFile = (dir: string): string => path.join(dir, 'control.json');

/** Where the repo's running engine listens, or why there is none. */
export function findEngine(repoRoot: string): {ok: true; address: ControlAddress} | {ok: false; message: string} {
	const lock = readLock(repoRoot);
	if (!lock || isStale(lock)) {
		return {ok: false, message: `no proofloop engine is running in ${repoRoot}\n  fix: start one with \`proofloop run\``};
	}
	const file = controlFile(runDir(repoRoot, lock.runId).dir);
	const notListening = {ok: false, message: `the engine (pid ${lock.pid}) is not listening (starting, or just ended)\n  fix: try again in a moment`} as const;
	if (!existsSync(file)) return notListening;
	try {
		return {ok: true, address: ControlAddress.parse(JSON.parse(readFileSync(file, 'utf8')))};
	} catch {
		// Removed between the two looks: the run just ended.
		return notListening;
	}
}

/** Who a human action is recorded as. */
export function actor(): string {
	let user: string;
	try {
		user = userInfo().username;
	} catch {
		// No passwd entry (containers): fall back below.
		user = process.env.USER ?? 'unknown';
	}
	return `${user}@${hostname()}`;
}

type Pending = {resolve: (reply: ControlReply) => void; reject: (error: Error) => void};
type Request = WireRequest extends infer R ? (R extends {id?: string} ? Omit<R, 'id'> : never) : never;

/** A client of one of the engine's channels: the human one (`connectHuman`, with the run's key) or a worker's (`connect`). */
export class ControlClient implements Control {
	private buffer = '';
	private nextId = 1;
	private readonly pending = new Map<string, Pending>();
	private readonly eventListeners = new Set<(event: EngineEvent) => void>();
	private readonly closeListeners = new Set<() => void>();

	private constructor(private readonly socket: net.Socket) {
		socket.setEncoding('utf8');
		socket.on('data', (chunk: string) => this.receive(chunk));
		socket.on('close', () => {
			for (const {reject} of this.pending.values()) reject(new Error('the engine closed the connection'));
			this.pending.clear();
			for (const listener of this.closeListeners) listener();
		});
		socket.on('error', () => {
			// 'close' follows and reports it.
		});
	}

	static connect(socketPath: string): Promise<ControlClient> {
		return new Promise((resolve, reject) => {
			const socket = net.createConnection(socketPath);
			socket.once('connect', () => resolve(new ControlClient(socket)));
			socket.once('error', error => reject(new Error(`cannot reach the engine at ${socketPath}: ${error.message}`)));
		});
	}

	/** The human channel: present the run's key (from its 0600 file beside the socket) before anything else. */
	static async connectHuman(socketPath: string): Promise<ControlClient> {
		const dir = path.dirname(socketPath);
		let key: string;
		try {
			key = readKey({dir, socket: socketPath, keyFile: path.join(dir, 'key')});
		} catch (error) {
			throw new Error(
				`cannot read the run's key in ${dir}: ${(error as Error).message}\n  fix: run this as the user who started the run, on the same machine`,
				{
					cause: error,
				},
			);
		}
		const client = await ControlClient.connect(socketPath);
		const reply = await client.request({type: 'auth', key});
		if (reply.type === 'error') {
			client.close();
			throw new Error(reply.message);
		}
		return client;
	}

	/** Replay the run's whole event log, then every new event, to `listener`. */
	subscribe(listener: (event: EngineEvent) => void): void {
		this.eventListeners.add(listener);
		this.write({type: 'subscribe'});
	}

	onClose(listener: () => void): void {
		this.closeListeners.add(listener);
	}

	async request(request: Request): Promise<ControlReply> {
		const id = String(this.nextId++);
		const reply = new Promise<ControlReply>((resolve, reject) => this.pending.set(id, {resolve, reject}));
		this.write({...request, id});
		return reply;
	}

	/** Send a raw line (tests use it to show a malformed message is refused). */
	sendRaw(line: string): void {
		this.socket.write(line.endsWith('\n') ? line : `${line}\n`);
	}

	async status(): Promise<StatusSummary> {
		const reply = await this.request({type: 'status'});
		if (reply.type === 'status') return reply.status;
		throw new Error(reply.type === 'error' ? reply.message : `unexpected reply ${reply.type}`);
	}

	pause(): Promise<void> {
		return this.expectOk({type: 'pause'});
	}

	resume(): Promise<void> {
		return this.expectOk({type: 'resume'});
	}

	gate(ticket: string, reason: string): Promise<void> {
		return this.expectOk({type: 'gate', ticket, reason});
	}

	stop(): Promise<void> {
		return this.expectOk({type: 'stop'});
	}

	ungate(ticket: string): Promise<void> {
		return this.expectOk({type: 'ungate', ticket});
	}

	close(): void {
		this.socket.end();
	}

	private async expectOk(request: Request): Promise<void> {
		const reply = await this.request(request);
		if (reply.type === 'error') throw new Error(reply.message);
	}

	private write(message: object): void {
		this.socket.write(JSON.stringify(message) + '\n');
	}

	private receive(chunk: string): void {
		this.buffer += chunk;
		let newline: number;
		while ((newline = this.buffer.indexOf('\n')) >= 0) {
			const line = this.buffer.slice(0, newline);
			this.buffer = this.buffer.slice(newline + 1);
			if (!line.trim()) continue;
			const parsed = parseJsonWith(ControlReply, line);
			if (!parsed?.success) continue;
			const reply = parsed.data;
			if (reply.type === 'event') {
				for (const listener of this.eventListeners) listener(reply.event);
				continue;
			}
			const waiting = reply.id ? this.pending.get(reply.id) : undefined;
			if (waiting && reply.id) {
				this.pending.delete(reply.id);
				waiting.resolve(reply);
			}
		}
	}
}
