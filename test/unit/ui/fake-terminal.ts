import {EventEmitter} from 'node:events';
import type {EngineEvent} from '../../../source/core/events.js';
import type {AttachClient} from '../../../source/ui/attach.js';

// The process boundary of attachTui: a terminal (stdout, stdin) and an engine client.

/** A terminal: what Ink needs of stdout/stdin, recording what is written and the raw-mode switches. */
export class FakeStdout extends EventEmitter {
	isTTY = true;
	columns = 120;
	rows = 30;
	chunks: string[] = [];
	write = (chunk: string, callback?: () => void): boolean => {
		this.chunks.push(chunk);
		callback?.();
		return true;
	};
	output = (): string => this.chunks.join('');
}

export class FakeStdin extends EventEmitter {
	isTTY = true;
	rawMode: boolean[] = [];
	private data: string | null = null;
	write(data: string): void {
		this.data = data;
		this.emit('readable');
	}
	read(): string | null {
		const {data} = this;
		this.data = null;
		return data;
	}
	setRawMode(on: boolean): void {
		this.rawMode.push(on);
	}
	setEncoding(): void {}
	ref(): void {}
	unref(): void {}
	resume(): void {}
	pause(): void {}
}

/** ControlClient's shape: replays the given events on subscribe, records control calls. */
export class FakeClient implements AttachClient {
	calls: string[] = [];
	private listener: ((event: EngineEvent) => void) | undefined;
	private closeListener: (() => void) | undefined;
	constructor(private readonly replay: EngineEvent[]) {}
	subscribe(listener: (event: EngineEvent) => void): void {
		this.listener = listener;
		setImmediate(() => this.emit(...this.replay));
	}
	onClose(listener: () => void): void {
		this.closeListener = listener;
	}
	emit(...events: EngineEvent[]): void {
		for (const event of events) this.listener?.(event);
	}
	close(): void {
		this.closeListener?.();
	}
	async pause(): Promise<void> {
		this.calls.push('pause');
	}
	async resume(): Promise<void> {
		this.calls.push('resume');
	}
	async gate(ticket: string, reason: string): Promise<void> {
		this.calls.push(`gate ${ticket} ${reason}`);
	}
	async stop(): Promise<void> {
		this.calls.push('stop');
	}
}
