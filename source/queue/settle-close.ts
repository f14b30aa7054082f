/**
 * BullMQ's Worker.close() waits on its Redis connections, and a Redis that is gone never
 * answers: a worker told to stop then never would (a pod kept for its whole grace period).
 * Wait for the close while something still runs; once nothing does (the caller says) and Redis is away, stop waiting.
 */
export async function settleClose(closing: Promise<unknown>, idleAndCutOff: () => boolean, pollMs = 500): Promise<void> {
	const closed = closing.then(
		() => true,
		() => true,
	);
	for (;;) {
		let timer: NodeJS.Timeout | undefined;
		const tick = new Promise<boolean>(resolve => (timer = setTimeout(() => resolve(false), pollMs)));
		const done = await Promise.race([closed, tick]);
		clearTimeout(timer);
		if (done || idleAndCutOff()) return;
	}
}
