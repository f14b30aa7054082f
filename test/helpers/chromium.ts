import {spawn, spawnSync, type ChildProcess} from 'node:child_process';
import {mkdtempSync, rmSync} from 'node:fs';
import {tmpdir} from 'node:os';
import path from 'node:path';
import type {Readable, Writable} from 'node:stream';

/** The system Chromium (Debian's package `chromium`), or undefined. */
export function findChromium(): string | undefined {
	for (const name of ['chromium', 'chromium-browser', 'google-chrome']) {
		const found = spawnSync('sh', ['-c', `command -v ${name}`], {encoding: 'utf8'}).stdout.trim();
		if (found) return found;
	}
	return undefined;
}

type Pending = {resolve: (value: Record<string, unknown>) => void; reject: (error: Error) => void};
type CdpEvent = {method: string; params: Record<string, unknown>; sessionId?: string};

/**
 * Headless Chromium driven over the DevTools protocol on a pipe
 * (--remote-debugging-pipe: NUL-separated JSON on fds 3 and 4), no library.
 */
export class Chromium {
	private nextId = 1;
	private readonly pending = new Map<number, Pending>();
	private readonly listeners = new Set<(event: CdpEvent) => void>();
	readonly events: CdpEvent[] = [];
	private sessionId: string | undefined;

	private constructor(
		private readonly child: ChildProcess,
		private readonly profile: string,
	) {
		const out = child.stdio[4] as Readable;
		let buffer = '';
		out.on('data', (chunk: Buffer) => {
			buffer += chunk.toString('utf8');
			for (let end = buffer.indexOf('\0'); end >= 0; end = buffer.indexOf('\0')) {
				const message = JSON.parse(buffer.slice(0, end)) as {id?: number; result?: Record<string, unknown>; error?: {message: string}} & CdpEvent;
				buffer = buffer.slice(end + 1);
				if (message.id !== undefined) {
					const waiter = this.pending.get(message.id);
					this.pending.delete(message.id);
					if (message.error) waiter?.reject(new Error(message.error.message));
					else waiter?.resolve(message.result ?? {});
				} else {
					this.events.push(message);
					for (const listener of this.listeners) listener(message);
				}
			}
		});
	}

	static async launch(bin: string, viewport = {width: 1280, height: 900}): Promise<Chromium> {
		const profile = mkdtempSync(path.join(tmpdir(), 'pl-chromium-'));
		const args = [
			'--headless',
			'--remote-debugging-pipe',
			`--user-data-dir=${profile}`,
			'--no-first-run',
			'--no-default-browser-check',
			'--disable-gpu',
			'--disable-background-networking',
			'--disable-component-update',
			'--disable-sync',
			'--hide-scrollbars',
			'--force-color-profile=srgb',
			// Root (CI containers) cannot use Chromium's own sandbox; the page is a local file.
			...(process.getuid?.() === 0 ? ['--no-sandbox'] : []),
			'about:blank',
		];
		const child = spawn(bin, args, {stdio: ['ignore', 'ignore', 'ignore', 'pipe', 'pipe']});
		const browser = new Chromium(child, profile);
		const {targetInfos} = (await browser.send('Target.getTargets')) as {targetInfos: Array<{targetId: string; type: string}>};
		const page = targetInfos.find(t => t.type === 'page');
		if (!page) throw new Error('chromium opened no page');
		const {sessionId} = (await browser.send('Target.attachToTarget', {targetId: page.targetId, flatten: true})) as {sessionId: string};
		browser.sessionId = sessionId;
		await browser.send('Network.enable');
		await browser.send('Page.enable');
		await browser.send('Emulation.setDeviceMetricsOverride', {...viewport, deviceScaleFactor: 1, mobile: false});
		return browser;
	}

	send(method: string, params: Record<string, unknown> = {}): Promise<Record<string, unknown>> {
		const id = this.nextId++;
		const message = {
			id,
			method,
			params,
			...(this.sessionId && !method.startsWith('Target.') && !method.startsWith('Browser.') ? {sessionId: this.sessionId} : {}),
		};
		return new Promise((resolve, reject) => {
			this.pending.set(id, {resolve, reject});
			(this.child.stdio[3] as Writable).write(JSON.stringify(message) + '\0');
		});
	}

	/** Open a URL and wait for its load event. */
	async open(url: string, timeoutMs = 30_000): Promise<void> {
		const loaded = new Promise<void>((resolve, reject) => {
			const timer = setTimeout(() => reject(new Error(`${url} did not load in ${timeoutMs} ms`)), timeoutMs);
			const listener = (event: CdpEvent) => {
				if (event.method !== 'Page.loadEventFired') return;
				clearTimeout(timer);
				this.listeners.delete(listener);
				resolve();
			};
			this.listeners.add(listener);
		});
		await this.send('Page.navigate', {url});
		await loaded;
	}

	async evaluate<T>(expression: string): Promise<T> {
		const {result, exceptionDetails} = (await this.send('Runtime.evaluate', {expression, returnByValue: true})) as {
			result: {value: T};
			exceptionDetails?: unknown;
		};
		if (exceptionDetails) throw new Error(`evaluate failed: ${JSON.stringify(exceptionDetails)}`);
		return result.value;
	}

	/** Every URL the page asked the network for (the document itself included). */
	requestedUrls(): string[] {
		return this.events.filter(e => e.method === 'Network.requestWillBeSent').map(e => (e.params['request'] as {url: string}).url);
	}

	/** A PNG of the whole page, not just the viewport. */
	async screenshot(): Promise<Buffer> {
		const {cssContentSize} = (await this.send('Page.getLayoutMetrics')) as {cssContentSize: {width: number; height: number}};
		const clip = {x: 0, y: 0, width: Math.ceil(cssContentSize.width), height: Math.ceil(cssContentSize.height), scale: 1};
		const {data} = (await this.send('Page.captureScreenshot', {format: 'png', clip, captureBeyondViewport: true})) as {data: string};
		return Buffer.from(data, 'base64');
	}

	async close(): Promise<void> {
		const exited = new Promise(resolve => this.child.once('exit', resolve));
		await this.send('Browser.close').catch(() => undefined);
		await Promise.race([exited, new Promise(resolve => setTimeout(resolve, 5000))]);
		if (this.child.exitCode === null) this.child.kill('SIGKILL');
		rmSync(this.profile, {recursive: true, force: true});
	}
}
