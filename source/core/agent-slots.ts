import {Semaphore} from 'async-mutex';

/**
 * The per-agent concurrency cap ("two claude and four codex at most"): a
 * FIFO semaphore per agent type, counted across every role (worker,
 * reviewer, healer), because what it protects is the account's rate limit,
 * not the batch's concurrency. A type without a cap is never held up.
 */
export class AgentSlots {
	private readonly semaphores = new Map<string, Semaphore>();

	constructor(private readonly caps: Readonly<Record<string, number>> = {}) {}

	cap(type: string): number | undefined {
		return this.caps[type];
	}

	/** Take a slot of `type`, waiting in line when the type is at its cap; `onWait` is told once when it must wait. Returns the release. */
	async acquire(type: string, onWait?: () => void): Promise<() => void> {
		const semaphore = this.semaphore(type);
		if (!semaphore) return () => {};
		if (semaphore.isLocked()) onWait?.();
		// A release hands the slot to the first in line at once: no one jumps the line.
		const [, release] = await semaphore.acquire();
		return release;
	}

	inUse(type: string): number {
		const semaphore = this.semaphores.get(type);
		return semaphore ? (this.caps[type] ?? 0) - semaphore.getValue() : 0;
	}

	private semaphore(type: string): Semaphore | undefined {
		const cap = this.caps[type];
		if (cap === undefined) return undefined;
		let semaphore = this.semaphores.get(type);
		if (!semaphore) this.semaphores.set(type, (semaphore = new Semaphore(cap)));
		return semaphore;
	}
}

type SlotContext = {
	slots: AgentSlots;
	log: {
		append: (event: {type: 'agent.waiting'; ticket: string; attempt: number; agent: string; role: 'worker' | 'reviewer' | 'healer'; cap: number}) => unknown;
	};
};

/** Run one agent process inside its type's cap, saying in the log when it has to wait. */
export async function withAgentSlot<T>(
	ctx: SlotContext,
	who: {agent: string; role: 'worker' | 'reviewer' | 'healer'; ticket: string; attempt: number},
	run: () => Promise<T>,
): Promise<T> {
	const release = await ctx.slots.acquire(who.agent, () => ctx.log.append({type: 'agent.waiting', ...who, cap: ctx.slots.cap(who.agent) ?? 0}));
	try {
		return await run();
	} finally {
		release();
	}
}
