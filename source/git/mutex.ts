/**
 * A FIFO async mutex. Git's shared refs and worktree metadata (.git/worktrees,
 * refs/heads, packed-refs) are safe against torn writes but not against two of
 * our own read-modify-write sequences interleaving (e.g. list worktrees, then
 * add one), so every such sequence in one Repo runs through this queue.
 * Not re-entrant: code holding the lock must call unlocked helpers only.
 */
export class Mutex {
	#tail: Promise<unknown> = Promise.resolve();

	run<T>(fn: () => Promise<T>): Promise<T> {
		const result = this.#tail.then(fn);
		// The next holder waits for this one to settle, never for its success.
		this.#tail = result.catch(() => undefined);
		return result;
	}
}
