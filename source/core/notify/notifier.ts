import type {EngineEvent, NewEvent} from '../events.js';
import type {NotifyConfig} from './config.js';
import {notificationOf, type Notification, type RunInfo} from './notification.js';
import {intentsDurable} from '../../lib/intent-barrier.js';
import {desktopNotifier, redactUrl, sendCommand, sendWebhook} from './send.js';
import {setTimeout as sleep} from 'node:timers/promises';

/**
 * An agent can make person.needed events (a refused human verb per attempt): a person hears
 * of each kind once per ticket and attempt, and of at most this many in all.
 */
export const MAX_PERSON_NEEDED = 20;

type Log = {append(event: NewEvent): unknown; subscribe(listener: (event: EngineEvent) => void): () => void};

/**
 * Tells a person what the run's events say they should know (notification.ts),
 * through each configured notifier at once, off the engine's path: a notifier
 * that fails or hangs is a warning in the log, and is given up on after its timeout.
 */
export class Notifier {
	private readonly inflight = new Set<Promise<void>>();
	private lastVerdict: Notification['verdict'];
	private closed = false;
	private readonly unsubscribe: () => void;
	private readonly desktop: ReturnType<typeof desktopNotifier>;
	private readonly told = new Set<string>();

	constructor(
		private readonly config: NotifyConfig,
		private readonly run: RunInfo,
		private readonly log: Log,
		private readonly env: NodeJS.ProcessEnv,
	) {
		this.desktop = config.desktop ? desktopNotifier(env) : undefined;
		this.unsubscribe = log.subscribe(event => this.onEvent(event));
	}

	/** Whether any notifier leaves the process (the bell is the TUI's). */
	get active(): boolean {
		return Boolean(this.config.command || this.config.webhook || this.desktop);
	}

	private onEvent(event: EngineEvent): void {
		if (event.type === 'oracle.verdict') this.lastVerdict = {exit: event.exit, verdict: event.verdict, summary: event.summary};
		if (this.closed || !this.active) return;
		const notification = notificationOf(event, this.run, this.lastVerdict);
		if (!notification || !this.config.on.includes(notification.kind) || !this.fresh(notification)) return;
		const timeoutMs = this.config.timeoutSeconds * 1000;
		const {command, webhook} = this.config;
		const desktop = this.desktop;
		// It tells of an event: sent once the event is on disk (group commit, lib/intent-barrier.ts).
		const logged = intentsDurable();
		if (command)
			this.track(
				`command \`${command}\``,
				notification,
				logged.then(() => sendCommand(command, notification, timeoutMs, this.env)),
			);
		if (webhook) {
			const target = typeof webhook === 'string' ? {url: webhook, headers: {}} : webhook;
			this.track(
				`webhook ${redactUrl(target.url)}`,
				notification,
				logged.then(() => sendWebhook(target, notification, timeoutMs)),
			);
		}
		if (desktop)
			this.track(
				'desktop notification',
				notification,
				logged.then(() => desktop(`proofloop: ${notification.kind}`, notification.message, timeoutMs)),
			);
	}

	private fresh(notification: Notification): boolean {
		if (notification.kind !== 'person.needed') return true;
		const key = `${notification.reason}:${notification.ticket ?? ''}#${notification.attempt ?? ''}`;
		if (this.told.has(key)) return false;
		if (this.told.size === MAX_PERSON_NEEDED) {
			this.told.add(key);
			// Not from inside the log's own listener call: every subscriber sees events in order.
			queueMicrotask(() => this.warn(`notify: ${MAX_PERSON_NEEDED} person.needed notifications sent; later ones are in the log only (${notification.reason})`));
			return false;
		}
		if (this.told.size > MAX_PERSON_NEEDED) return false;
		this.told.add(key);
		return true;
	}

	/** A notifier's trouble is the run's warning, never its failure (a log that cannot be written stops the run by its own path). */
	private warn(message: string): void {
		if (this.closed) return;
		try {
			this.log.append({type: 'warning', message});
		} catch {
			// The log's own write error handling has already acted.
		}
	}

	private track(what: string, notification: Notification, sending: Promise<void>): void {
		const tracked: Promise<void> = sending
			// After settle() the log is closing: warn() writes nothing then.
			.catch((error: unknown) =>
				this.warn(`notify: the ${what} failed for ${notification.kind} (${notification.reason}): ${(error as Error).message}; the run goes on`),
			)
			.finally(() => this.inflight.delete(tracked));
		this.inflight.add(tracked);
	}

	/** Wait for the notifications still going out (each ends by its timeout), then stop: call before the log closes. */
	async settle(): Promise<void> {
		const limit = this.config.timeoutSeconds * 1000 + 1000;
		await Promise.race([Promise.allSettled([...this.inflight]), sleep(limit, undefined, {ref: false})]);
		this.closed = true;
		this.unsubscribe();
	}
}
