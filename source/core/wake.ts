import {timerDelay} from '../lib/timer.js';

/**
 * How the loop waits: for the next settlement (or anything else that may let
 * a ticket start), or for an instant a usage limit lifts (a timer, not a poll).
 */
export class Waker {
	#resolve: (() => void) | undefined;
	/** A wake between dispatch and the wait for the next one is not lost. */
	#woken = false;
	/** One timer per instant. */
	readonly #timers = new Map<number, NodeJS.Timeout>();

	constructor(private readonly now: () => number) {}

	wake(): void {
		this.#woken = true;
		const resolve = this.#resolve;
		this.#resolve = undefined;
		resolve?.();
	}

	/** Resolves at the next wake (at once if one came since the last wait). */
	async next(): Promise<void> {
		if (!this.#woken) {
			await new Promise<void>(resolve => {
				this.#resolve = resolve;
			});
		}
		this.#woken = false;
	}

	/** Wake at `until` (ms since the epoch). */
	at(until: number): void {
		if (this.#timers.has(until)) return;
		const timer = setTimeout(
			() => {
				this.#timers.delete(until);
				this.wake();
			},
			timerDelay(until - this.now() + 10),
		);
		this.#timers.set(until, timer);
	}

	/** Whether a timer is still to fire (the loop waits for it rather than end). */
	get timing(): boolean {
		return this.#timers.size > 0;
	}

	clear(): void {
		for (const timer of this.#timers.values()) clearTimeout(timer);
	}
}
