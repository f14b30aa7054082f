/**
 * A worker's own clone of the project, fed from the shared remote: each attempt
 * gets a fresh checkout at the start the coordinator pushed, on the branch its
 * prompt names, laid out as a local run lays it (.proofloop/worktrees/<ticket>),
 * so the sandbox policy is the same one.
 */
import {Mutex} from 'async-mutex';
import {existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, rmSync} from 'node:fs';
import path from 'node:path';
import {looseRefHolds} from '../git/ref-files.js';
import {mustGit, runGit, type GitResult} from '../git/run.js';
import {gitLane} from './git-lane.js';
import type {AttemptJob} from './protocol.js';
import {baseRef, resultRef, startRef} from './protocol.js';

// No auto-maintenance after each fetch: it is a process per attempt on the handoff's path (the clone is small and short-lived).
const FETCH = ['fetch', '-q', '--no-tags', '--no-auto-maintenance'];

export class WorkerClone {
	readonly root: string;
	/** One change of the clone's shared metadata at a time: concurrent `worktree add`/`remove`/`prune` race on .git/worktrees. */
	readonly #lock = new Mutex();
	/** Fetches, one at a time (each writes base's ref), the starts of jobs taken meanwhile together. */
	readonly #fetches: (refspecs: string[]) => Promise<GitResult>;
	#pending: Promise<void> = Promise.resolve();

	constructor(
		readonly dir: string,
		readonly remote: string,
	) {
		this.root = path.join(dir, 'repo');
		// Under the lock too: a fetch reads .git/worktrees (the branches checked out there) while an add or a prune changes it.
		this.#fetches = gitLane(this.root, [...FETCH, '--update-head-ok', 'origin'], run => this.#lock.runExclusive(run));
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
		const ref = startRef(job.attemptId, job.startSha);
		// Base too, under its own name, as a local checkout sees it, in the same fetch as the starts of jobs taken meanwhile;
		// not fatal: a base that cannot be had (an agent checked it out somewhere) leaves the start alone to fetch.
		const both = await this.#fetches([`+${ref}:${ref}`, `+${baseRef(job.base)}:refs/heads/${job.base}`]);
		if (both.exitCode !== 0)
			await this.#lock.runExclusive(() => mustGit(this.root, [...FETCH, 'origin', `+${ref}:${ref}`], `fetching ${ref} from ${this.remote} failed`));
		// As the fetch wrote it (a loose ref file holding the sha is git's own answer, no process); anything else asks git.
		const fetched = looseRefHolds(path.join(this.root, '.git'), ref, job.startSha)
			? job.startSha
			: (await mustGit(this.root, ['rev-parse', '--verify', `${ref}^{commit}`], `reading ${ref} failed`)).trim();
		if (fetched !== job.startSha) throw new Error(`${ref} on ${this.remote} is ${fetched}, not the job's start ${job.startSha}`);
		return this.#lock.runExclusive(async () => {
			const checkout = this.checkoutOf(job);
			// What an earlier attempt left (its cleanup is cut short only by a killed worker, and open() clears that).
			if (this.#leftFrom(checkout)) await this.#remove(job);
			await mustGit(this.root, ['worktree', 'add', '-q', '-f', '-B', job.branch, checkout, job.startSha], `making the checkout ${checkout} failed`);
			return checkout;
		});
	}

	/** The head of the checkout on `branch`: the branch's loose ref file when it holds a plain sha (what git reads first), else git's answer. */
	async tipOf(checkout: string, branch: string): Promise<string> {
		try {
			const file = path.join(this.root, '.git', 'refs', 'heads', ...branch.split('/'));
			const text = lstatSync(file).isFile() ? readFileSync(file, 'utf8') : '';
			if (/^[0-9a-f]{40}\n$/.test(text)) return text.trim();
		} catch {
			// no loose ref: packed, or something unusual (git answers)
		}
		return (await mustGit(checkout, ['rev-parse', '--verify', 'HEAD^{commit}'], 'reading the attempt head failed')).trim();
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

	/** After the job completed, off the handoff's path: the next checkout waits for it (same lock, first come first served). */
	cleanUpLater(job: AttemptJob): void {
		const done = this.#lock.runExclusive(async () => {
			await this.#remove(job);
			await this.dropStart(job);
		});
		this.#pending = Promise.all([this.#pending, done]).then(
			() => {},
			() => {},
		);
	}

	/** Resolves once every cleanup handed over so far is done (a stopping worker leaves no git of its own running). */
	settled(): Promise<void> {
		return this.#pending;
	}

	/** Whether a checkout at this path, or git's record of one, is still there. */
	#leftFrom(checkout: string): boolean {
		if (existsSync(checkout)) return true;
		const admin = path.join(this.root, '.git', 'worktrees');
		if (!existsSync(admin)) return false;
		return readdirSync(admin).some(name => {
			try {
				return path.dirname(readFileSync(path.join(admin, name, 'gitdir'), 'utf8').trim()) === checkout;
			} catch {
				return true;
			}
		});
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
