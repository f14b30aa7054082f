/**
 * The per-agent concurrency cap ("two claude and four codex at most"): a
 * FIFO semaphore per agent type, counted across every role (worker,
 * reviewer, healer), because what it protects is the account's rate limit,
 * not the batch's concurrency. A type without a cap is never held up.
 */
export class AgentSlots {
	private readonly live = new Map<string, number>();
	private readonly waiting = new Map<string, Array<() => void>>();

	constructor(private readonly caps: Readonly<Record<string, number>> = {}) {}

	cap(type: string): number | undefined {
		return this.caps[type];
	}

	/** Take a slot of `type`, waiting in line when the type is at its cap; `onWait` is told once when it must wait. Returns the release. */
	async acquire(type: string, onWait?: () => void): Promise<() => void> {
		const cap = this.caps[type];
		if (cap !== undefined && (this.live.get(type) ?? 0) >= cap) {
			onWait?.();
			// The releaser hands its slot over directly, so the count never dips and no one jumps the line.
			await new Promise<void>(resolve => {
				const line = this.waiting.get(type) ?? [];
				line.push(resolve);
				this.waiting.set(type, line);
			});
		} else {
			this.live.set(type, (this.live.get(type) ?? 0) + 1);
		}
		let released = false;
		return () => {
			if (released) return;
			released = true;
			const next = this.waiting.get(type)?.shift();
			if (next) next();
			else this.live.set(type, (this.live.get(type) ?? 1) - 1);
		};
	}

	inUse(type: string): number {
		return this.live.get(type) ?? 0;
	}
}

type SlotContext = {slots: AgentSlots; log: {append: (event: {type: 'agent.waiting'; ticket: string; attempt: number; agent: string; role: 'worker' | 'reviewer' | 'healer'; cap: number}) => unknown}};

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
