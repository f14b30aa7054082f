import type {EventLog} from './event-log.js';

/**
 * Housekeeping that no ticket waits for (removing a done ticket's checkout):
 * off the dispatch path, finished before the run ends, and a failure is a
 * warning, never the ticket's.
 */
export class Chores {
	readonly #running = new Set<Promise<void>>();

	constructor(private readonly log: EventLog) {}

	add(what: string, work: Promise<unknown>): void {
		const tracked: Promise<void> = work
			.then(() => undefined)
			.catch((error: unknown) => {
				this.log.append({type: 'warning', message: `${what} failed: ${(error as Error).message}`});
			})
			.finally(() => this.#running.delete(tracked));
		this.#running.add(tracked);
	}

	/** Resolves when every chore started so far has finished. */
	async settled(): Promise<void> {
		await Promise.all(this.#running);
	}
}
