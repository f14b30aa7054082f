import {existsSync, readdirSync} from 'node:fs';
import path from 'node:path';
import type {Mutex} from 'async-mutex';
import {mustGit, runGit} from './run.js';
import {gitPointers, indexDigest, provenAt, STRICT_STAT} from './verify-clean.js';
import {clearCheckout, ensureExcluded, listWorktrees, removeCheckout, samePath, worktreesDir} from './worktrees.js';

/**
 * Checkouts where verify and base's test counts run, made once and reused:
 * a ticket's verify moves a free one to its merge by the diff
 * (`checkout --force --detach`), then proves it holds exactly that tree and
 * nothing else (verify-clean.ts); only then does anything run there. After a
 * use the checkout is cleaned (`git clean -ffdqx`) off the ticket's path. A
 * checkout that cannot be proven clean is dropped and a new one made; a new
 * one is a plain `worktree add`, as every verify had before.
 *
 * Safe only where nothing a use started can outlive it (its box's pid
 * namespace, or a cgroup per spawn): the caller decides (core/verify-checkout.ts).
 * They live in .proofloop/worktrees/.verify/ (never a ticket id's path), out
 * of every agent's box; a crash's leftovers are removed by the first use of
 * the next engine, and the engine drains them when the run ends.
 */
export class VerifyCheckouts {
	readonly #free: string[] = [];
	/** What each checkout's `.git` file and commondir said when it was made: a changed one is not used. */
	readonly #pointers = new Map<string, string>();
	/** Each checkout's index as git last wrote it for us (verify-clean.ts indexDigest). */
	readonly #indexes = new Map<string, string>();
	/** Each checkout's `.gitattributes` entries as last proven: the files it kept were written under them. */
	readonly #attributes = new Map<string, string>();
	readonly #after = new Set<Promise<void>>();
	/** Checkouts being cleaned after a use: a use that finds none free waits for one (a clean takes far less than a new checkout). */
	readonly #cleaning = new Set<Promise<void>>();
	#leftovers: Promise<void> | undefined;
	#seq = 0;
	#closed = false;

	constructor(
		private readonly root: string,
		private readonly lock: Mutex,
	) {}

	get dir(): string {
		return path.join(this.root, worktreesDir, '.verify');
	}

	/** Runs `fn` in a checkout of exactly `sha`'s tree; the checkout goes back to the pool after. */
	async use<T>(sha: string, fn: (checkout: string) => Promise<T>): Promise<T> {
		const checkout = await this.#take(sha);
		try {
			return await fn(checkout);
		} finally {
			this.#giveBack(checkout);
		}
	}

	/** Removes every checkout (the run is over, or never used one), once the cleanings under way are done. */
	async drain(): Promise<void> {
		this.#closed = true;
		while (this.#after.size > 0) await Promise.allSettled([...this.#after]);
		// Whatever fails to go now is a leftover the next engine removes.
		for (const checkout of this.#free.splice(0)) await this.#remove(checkout).catch(() => undefined);
		// A run that verified nothing still removes what a killed engine left.
		await this.lock.runExclusive(() => (this.#leftovers ??= this.#clearLeftovers()));
	}

	async #take(sha: string): Promise<string> {
		for (;;) {
			const checkout = this.#free.pop();
			if (checkout === undefined) {
				if (this.#cleaning.size === 0) return this.#make(sha);
				await Promise.race(this.#cleaning);
				continue;
			}
			if (await this.#moved(checkout, sha)) return checkout;
			this.#after.add(this.#track(this.#remove(checkout)));
		}
	}

	/** Moves a free checkout to `sha` and proves it; false: it must not be used. */
	async #moved(checkout: string, sha: string): Promise<boolean> {
		// A `.git` file or commondir pointing elsewhere would aim every command below at another repository.
		if (gitPointers(checkout) !== this.#pointers.get(checkout)) return false;
		if (indexDigest(checkout) !== this.#indexes.get(checkout)) return false;
		const moved = await runGit(checkout, [...STRICT_STAT, 'checkout', '--quiet', '--force', '--detach', sha]);
		if (moved.exitCode !== 0) return false;
		let proof = await provenAt(checkout, sha);
		// Cleaned after its last use, normally; a cleaning that failed or never ran is done now.
		if (proof.kind === 'untracked' && (await runGit(checkout, ['clean', '-ffdqx'])).exitCode === 0) proof = await provenAt(checkout, sha);
		// New attributes would have written the files it kept otherwise: a fresh checkout is made instead.
		if (proof.kind !== 'clean' || proof.attributes !== this.#attributes.get(checkout)) return false;
		this.#indexes.set(checkout, indexDigest(checkout) ?? '');
		return true;
	}

	async #make(sha: string): Promise<string> {
		const checkout = path.join(this.dir, `${process.pid}-${++this.#seq}`);
		await this.lock.runExclusive(async () => {
			this.#leftovers ??= this.#clearLeftovers();
			await this.#leftovers;
			await ensureExcluded(this.root);
			const add = [...STRICT_STAT, 'worktree', 'add', '--quiet', '--detach', checkout, sha];
			if ((await runGit(this.root, add)).exitCode === 0) return;
			// Something is at that path (made after the leftovers went): cleared, then one more try.
			await clearCheckout(this.root, checkout);
			await mustGit(this.root, add, `creating a checkout of ${sha} at ${checkout} failed`, `check that ${sha} is a commit of this repository`);
		});
		const pointers = gitPointers(checkout);
		if (pointers === undefined) throw new Error(`the new checkout ${checkout} has no readable .git file`);
		this.#pointers.set(checkout, pointers);
		this.#indexes.set(checkout, indexDigest(checkout) ?? '');
		const proof = await provenAt(checkout, sha);
		if (proof.kind === 'clean') this.#attributes.set(checkout, proof.attributes);
		return checkout;
	}

	/** Off the ticket's path: clean, then free for the next use (or removed, once the run is over). */
	#giveBack(checkout: string): void {
		const after = (async () => {
			const cleaned = !this.#closed && (await runGit(checkout, ['clean', '-ffdqx'])).exitCode === 0;
			if (cleaned && !this.#closed) this.#free.push(checkout);
			else await this.#remove(checkout);
		})();
		const cleaning = this.#track(after);
		this.#after.add(cleaning);
		this.#cleaning.add(cleaning);
		void cleaning.finally(() => this.#cleaning.delete(cleaning));
	}

	#track(work: Promise<void>): Promise<void> {
		const tracked: Promise<void> = work.catch(() => undefined).finally(() => this.#after.delete(tracked));
		return tracked;
	}

	async #remove(checkout: string): Promise<void> {
		this.#pointers.delete(checkout);
		this.#indexes.delete(checkout);
		this.#attributes.delete(checkout);
		await this.lock.runExclusive(() => removeCheckout(this.root, checkout));
	}

	/** What a previous engine left in .verify/ (a crash, a kill): git's registrations and the directories. */
	async #clearLeftovers(): Promise<void> {
		await this.#clearAll().catch(() => undefined);
	}

	async #clearAll(): Promise<void> {
		const known = (await listWorktrees(this.root)).map(w => w.path).filter(p => samePath(path.dirname(p), this.dir));
		const onDisk = existsSync(this.dir) ? readdirSync(this.dir).map(name => path.join(this.dir, name)) : [];
		for (const leftover of new Set([...known, ...onDisk])) await clearCheckout(this.root, leftover);
	}
}
