import {existsSync, readFileSync, readdirSync, rmSync, rmdirSync} from 'node:fs';
import path from 'node:path';
import {runGit} from './run.js';
import {clearCheckout, listWorktrees, samePath, worktreesDir} from './worktrees.js';

/**
 * Spare checkouts of base, made ahead of need, so a ticket that becomes
 * ready starts its agent without waiting for a whole checkout to be written
 * (on a slow disk, a few hundred files took a quarter of a second; a big
 * repository takes seconds). Claiming a spare is a `worktree move` plus a
 * `checkout -b` that writes only what base changed since the spare was made.
 *
 * A spare is made locked, so no `worktree prune` can take it, not even while
 * it is being moved; it is unlocked once it is the ticket's. Spares live in
 * .proofloop/worktrees/.spare/ (never a ticket id's path); whatever a crash
 * leaves there is removed at the next start, and the engine drains them when
 * the run ends. Any failure only means the ticket takes the usual path.
 */
export class SpareCheckouts {
	readonly #ready: string[] = [];
	#making: Promise<void> | undefined;
	#closed = false;
	#disabled = false;
	#seq = 0;

	constructor(
		private readonly root: string,
		/** How many to keep ready (0: none). */
		private readonly count: number,
	) {}

	get dir(): string {
		return path.join(this.root, worktreesDir, '.spare');
	}

	/** Removes spares a previous engine left behind (a crash, a kill). */
	async clearLeftovers(): Promise<void> {
		// What git still knows (a locked spare survives prune even with its directory gone), and what is on disk.
		const known = (await listWorktrees(this.root)).map(w => w.path).filter(p => samePath(path.dirname(p), this.dir));
		const onDisk = existsSync(this.dir) ? readdirSync(this.dir).map(name => path.join(this.dir, name)) : [];
		for (const spare of new Set([...known, ...onDisk])) await clearCheckout(this.root, spare);
	}

	/** Makes spares at base's newest commit until `count` are ready; in the background, one at a time. */
	refill(base: string): void {
		if (this.#making || this.#closed || this.#disabled || this.#ready.length >= this.count) return;
		this.#making = (async () => {
			while (!this.#closed && this.#ready.length < this.count) {
				const spare = path.join(this.dir, `${process.pid}-${++this.#seq}`);
				const made = await runGit(this.root, [
					'worktree',
					'add',
					'--quiet',
					'--detach',
					'--lock',
					'--reason',
					'proofloop spare checkout',
					spare,
					`refs/heads/${base}^{commit}`,
				]);
				if (made.exitCode !== 0) {
					// A repository where this cannot work (no room, odd layout): stop trying, quietly.
					this.#disabled = true;
					await clearCheckout(this.root, spare).catch(() => undefined);
					return;
				}
				if (this.#closed) await clearCheckout(this.root, spare);
				else this.#ready.push(spare);
			}
		})()
			.catch(() => {
				this.#disabled = true;
			})
			.finally(() => {
				this.#making = undefined;
			});
	}

	/**
	 * Turns a ready spare into `checkout`, on a new `branch` at `base`. False
	 * when none is ready or any step fails (nothing is left at `checkout`);
	 * the caller then makes the checkout the usual way.
	 */
	async claim(checkout: string, branch: string, base: string): Promise<boolean> {
		const spare = this.#ready.shift();
		if (spare === undefined) return false;
		// --force twice: the spare is locked (against a concurrent prune) until it is in place.
		const moved = await runGit(this.root, ['worktree', 'move', '--force', '--force', spare, checkout]);
		if (moved.exitCode !== 0) {
			// Git refuses to move some worktrees (e.g. one with submodules checked out, which a spare never has): take the usual path from now on.
			this.#disabled = true;
			await clearCheckout(this.root, spare).catch(() => undefined);
			if (existsSync(checkout)) await clearCheckout(this.root, checkout).catch(() => undefined);
			return false;
		}
		const unlocked = unlockInPlace(checkout) ? {exitCode: 0} : await runGit(this.root, ['worktree', 'unlock', checkout]);
		const switched = unlocked.exitCode === 0 ? await runGit(checkout, ['checkout', '--quiet', '-b', branch, `refs/heads/${base}^{commit}`]) : unlocked;
		if (switched.exitCode !== 0) {
			await clearCheckout(this.root, checkout).catch(() => undefined);
			return false;
		}
		return true;
	}

	/** Stops making spares and removes every one (the run is over). */
	async drain(): Promise<void> {
		this.#closed = true;
		await this.#making;
		for (const spare of this.#ready.splice(0)) await clearCheckout(this.root, spare).catch(() => undefined);
		// Leave no empty directory behind either (one still holding something stays).
		try {
			rmdirSync(this.dir);
		} catch {
			// not there, or not empty
		}
	}
}

/**
 * What `git worktree unlock` does (delete worktrees/<id>/locked), without a git
 * process on the claim's path. False when the checkout's .git file is not the
 * plain pointer git writes: then git unlocks it.
 */
function unlockInPlace(checkout: string): boolean {
	try {
		const pointer = /^gitdir: (.+)$/m.exec(readFileSync(path.join(checkout, '.git'), 'utf8'))?.[1];
		if (pointer === undefined) return false;
		const admin = path.resolve(checkout, pointer.trim());
		if (path.basename(path.dirname(admin)) !== 'worktrees') return false;
		rmSync(path.join(admin, 'locked'), {force: true});
		return true;
	} catch {
		return false;
	}
}
