/**
 * A worker's own clone of the project, fed from the shared remote: each attempt
 * gets a fresh checkout at the start the coordinator pushed, on the branch its
 * prompt names, laid out as a local run lays it (.proofloop/worktrees/<ticket>),
 * so the sandbox policy is the same one.
 */
import {Mutex} from 'async-mutex';
import {existsSync, mkdirSync, rmSync} from 'node:fs';
import path from 'node:path';
import {mustGit, runGit} from '../git/run.js';
import type {AttemptJob} from './protocol.js';
import {baseRef, resultRef, startRef} from './protocol.js';

export class WorkerClone {
	readonly root: string;
	/** One change of the clone's shared metadata at a time: concurrent `worktree add`/`remove`/`prune` race on .git/worktrees. */
	readonly #lock = new Mutex();

	constructor(
		readonly dir: string,
		readonly remote: string,
	) {
		this.root = path.join(dir, 'repo');
	}

	/** Makes the clone (once) and clears what a killed worker left (checkouts, their branches). */
	async open(): Promise<void> {
		mkdirSync(this.root, {recursive: true});
		if (!existsSync(path.join(this.root, '.git'))) await mustGit(this.root, ['init', '-q'], `making the worker's clone in ${this.root} failed`);
		const set = await runGit(this.root, ['remote', 'set-url', 'origin', this.remote]);
		if (set.exitCode !== 0) await mustGit(this.root, ['remote', 'add', 'origin', this.remote], `naming the remote ${this.remote} failed`);
		rmSync(path.join(this.root, '.proofloop', 'worktrees'), {recursive: true, force: true});
		await runGit(this.root, ['worktree', 'prune']);
	}

	checkoutOf(job: AttemptJob): string {
		return path.join(this.root, '.proofloop', 'worktrees', job.ticket);
	}

	/** A fresh checkout at the job's start, on its branch; refuses a start the remote does not hold at that sha. */
	async checkout(job: AttemptJob): Promise<string> {
		return this.#lock.runExclusive(() => this.#checkout(job));
	}

	async #checkout(job: AttemptJob): Promise<string> {
		const ref = startRef(job.attemptId, job.startSha);
		await mustGit(this.root, ['fetch', '-q', '--no-tags', 'origin', `+${ref}:${ref}`], `fetching ${ref} from ${this.remote} failed`);
		// Base too, under its own name, as a local checkout sees it (not fatal: an agent that checked base out somewhere holds it).
		await runGit(this.root, ['fetch', '-q', '--no-tags', '--update-head-ok', 'origin', `+${baseRef(job.base)}:refs/heads/${job.base}`]);
		const fetched = (await mustGit(this.root, ['rev-parse', '--verify', `${ref}^{commit}`], `reading ${ref} failed`)).trim();
		if (fetched !== job.startSha) throw new Error(`${ref} on ${this.remote} is ${fetched}, not the job's start ${job.startSha}`);
		const checkout = this.checkoutOf(job);
		await this.#remove(job);
		await mustGit(this.root, ['worktree', 'add', '-q', '-f', '-B', job.branch, checkout, job.startSha], `making the checkout ${checkout} failed`);
		return checkout;
	}

	/** Sends the attempt's head to the remote, where the coordinator fetches it. */
	async push(job: AttemptJob, head: string): Promise<void> {
		await mustGit(
			this.root,
			['push', '-q', '--force', 'origin', `${head}:${resultRef(job.attemptId)}`],
			`pushing ${head.slice(0, 7)} to ${this.remote} failed`,
		);
	}

	/** The checkout, its branch and its start ref go: the next attempt of the ticket starts clean. */
	async remove(job: AttemptJob): Promise<void> {
		return this.#lock.runExclusive(() => this.#remove(job));
	}

	async #remove(job: AttemptJob): Promise<void> {
		const checkout = this.checkoutOf(job);
		if (existsSync(checkout)) await runGit(this.root, ['worktree', 'remove', '--force', checkout]);
		rmSync(checkout, {recursive: true, force: true});
		await runGit(this.root, ['worktree', 'prune']);
		await runGit(this.root, ['branch', '-q', '-D', job.branch]);
	}

	async dropStart(job: AttemptJob): Promise<void> {
		await runGit(this.root, ['update-ref', '-d', startRef(job.attemptId, job.startSha)]);
	}
}
