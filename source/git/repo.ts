import {existsSync} from 'node:fs';
import path from 'node:path';
import {importWorktreeObjects} from '../agents/agent-objects.js';
import {changedFiles, commitAll} from './commit.js';
import {syncCheckouts, type KeptCheckout} from './sync.js';
import {dirtyBaseCheckouts, type DirtyCheckout} from './dirty-checkouts.js';
import {appendLedger, type LedgerAppend, type LedgerRecord} from './ledger.js';
import {appendGate, latestGate, type GateLedgerRecord} from './gate-ledger.js';
import {findMerge, mergeToBase, type MergeRequest, type MergeResult} from './merge.js';
import {Mutex} from 'async-mutex';
import {prepareWorktree, tryFreshWorktree, type Prepared} from './prepare.js';
import {SpareCheckouts} from './spares.js';
import {adoptCommittedFiles, commitTrackerState, type StateCommitRequest, type StateCommitResult} from './state-commit.js';
import {branchExists, isAncestor, revParse} from './refs.js';
import {removeTicketCheckout, withDetachedCheckout} from './detached-checkout.js';
import {VerifyCheckouts} from './verify-checkouts.js';
import {mustGit, runGit} from './run.js';
import {branchInHeadFile, looseRefHolds} from './ref-files.js';
import {checkName, knownCommonDir, listWorktrees, removeStaleLocks, worktreesDir, type WorktreeInfo} from './worktrees.js';

/**
 * One repository as proofloop uses it: ticket checkouts under
 * .proofloop/worktrees, the merge queue into base, ancestry checks. Each
 * shared thing our read-modify-write sequences change has its own mutex per
 * instance: base (merges, state commits), the ledger branch (records), and
 * git's worktree metadata (list worktrees, then add or remove one). They
 * touch no common file, so a merge never waits behind a ledger record or a
 * checkout's removal. The compare-and-swaps cover other writers. Git keeps
 * its refs and worktree metadata safe from torn writes, not from two of our
 * sequences interleaving. The mutexes are not re-entrant, and no holder takes
 * another: a holder calls unlocked helpers only.
 */
export class Repo {
	/** Base: merges and state commits (the merge queue). */
	readonly #lock = new Mutex();
	/** The ledger branch: merge and gate records. */
	readonly #ledgerLock = new Mutex();
	/** Git's worktree metadata: checkouts added and removed, with their branches. */
	readonly #treeLock = new Mutex();
	readonly #syncLock = new Mutex();

	/** Use openRepo(): it checks the directory is a usable repository. */
	constructor(readonly root: string) {}

	/** Told when a person's checkout of base is left as they have it (see sync.ts); unset, it is a merge warning. */
	onCheckoutKept: ((kept: KeptCheckout & {ticket?: string}) => void) | undefined;

	revParse(ref: string): Promise<string | undefined> {
		return revParse(this.root, ref);
	}

	/** Whether branch `name` still names `sha`: a loose ref file holding it is git's own answer (no process); anything else asks git. */
	async branchStillAt(name: string, sha: string): Promise<boolean> {
		const common = knownCommonDir(this.root);
		if (common !== undefined && looseRefHolds(common, `refs/heads/${name}`, sha)) return true;
		return (await revParse(this.root, `refs/heads/${name}`)) === sha;
	}

	branchExists(name: string): Promise<boolean> {
		return branchExists(this.root, name);
	}

	isAncestor(commit: string, ref: string): Promise<boolean> {
		return isAncestor(this.root, commit, ref);
	}

	worktreePath(ticketId: string): string {
		checkName(ticketId, 'ticket id');
		return path.join(this.root, worktreesDir, ticketId);
	}

	branchName(ticketId: string): string {
		checkName(ticketId, 'ticket id');
		return `proofloop/${ticketId}`;
	}

	/** The ticket's checkout, repaired, clean and carrying the newest `base` (see prepare.ts). */
	async prepareWorktree(ticketId: string, base: string): Promise<Prepared> {
		const checkout = this.worktreePath(ticketId);
		const branch = this.branchName(ticketId);
		// A box that died with its engine left its objects in its own store, and its branch names them: taken in first.
		if (existsSync(checkout)) await importWorktreeObjects(checkout);
		return (
			(await tryFreshWorktree(this.root, checkout, branch, base, this.#spares)) ??
			this.#treeLock.runExclusive(() => prepareWorktree(this.root, checkout, branch, base))
		);
	}

	#spares: SpareCheckouts | undefined;

	/**
	 * Keeps `count` spare checkouts of `base` ready for tickets' first
	 * attempts (see spares.ts), after removing any a previous engine left.
	 * 0 turns them off.
	 */
	async keepSpares(count: number, base: string): Promise<void> {
		const spares = new SpareCheckouts(this.root, count);
		await spares.clearLeftovers();
		if (count === 0) return;
		this.#spares = spares;
		spares.refill(base);
	}

	/** Removes every spare checkout (the run is over). */
	async dropSpares(): Promise<void> {
		const spares = this.#spares;
		this.#spares = undefined;
		await spares?.drain();
	}

	/**
	 * Puts a ticket's checkout back on `branch` at `head`, exactly: no edits, no
	 * untracked files, no stale lock from a process killed there. For an
	 * agent that only had to talk (a planner) and may have touched files.
	 */
	async restoreCheckout(checkout: string, branch: string, head: string): Promise<void> {
		await removeStaleLocks(checkout, branch);
		await mustGit(checkout, ['checkout', '--quiet', '--force', '-B', branch, head], `putting ${checkout} back at ${head.slice(0, 7)} failed`);
		await mustGit(checkout, ['clean', '-ffdq'], `removing untracked files in ${checkout} failed`);
	}

	/** The branch a checkout has checked out (`proofloop/T-1`), or undefined on a detached HEAD. */
	async currentBranch(checkout: string): Promise<string | undefined> {
		// Read from the HEAD file git itself would read (no process); anything unusual asks git.
		const fromFile = branchInHeadFile(checkout);
		if (fromFile !== undefined) return fromFile === false ? undefined : fromFile;
		// The full ref, not --short: that prints "heads/x" when a tag or remote ref shares the name.
		const result = await runGit(checkout, ['symbolic-ref', '-q', 'HEAD']);
		const ref = result.stdout.trim();
		return result.exitCode === 0 && ref.startsWith('refs/heads/') ? ref.slice('refs/heads/'.length) : undefined;
	}

	/** Commits everything in a checkout; the new sha, or undefined when it was clean. */
	commitAll(checkout: string, message: string): Promise<string | undefined> {
		// Not under the lock: it touches only that checkout's own index and its
		// own branch, which no other operation here writes while it runs.
		return commitAll(checkout, message, this.root);
	}

	changedFiles(checkout: string, base: string): Promise<string[]> {
		return changedFiles(checkout, base);
	}

	/** The base branch this run watches and the tip its merge queue last left it at (see checkBase). */
	#watched: {base: string; tip: string} | undefined;
	/** Bumped around every merge: a watch read that overlapped one cannot tell our move from a foreign one. */
	#mergeGeneration = 0;
	#merging = false;

	/** Told at once when a merge finds base where the merge queue did not leave it. */
	onForeignBase: ((found: {base: string; expected: string; tip: string}) => void) | undefined;

	/** From now on a merge into `base` happens only onto `tip` or onto what the merge queue itself made of it. */
	watchBase(base: string, tip: string): void {
		this.#watched = {base, tip};
	}

	/** Base's tip as the merge queue left it when it watches `base` (a move by anyone else fails the merge's swap), else read. */
	baseTip(base: string): Promise<string | undefined> {
		const watched = this.#watched;
		return watched?.base === base ? Promise.resolve(watched.tip) : revParse(this.root, `refs/heads/${base}`);
	}

	/** Where the watched base is, when that is not where the merge queue left it; undefined when it is (or a merge is under way). */
	async checkBase(): Promise<{base: string; expected: string; tip: string} | undefined> {
		const watched = this.#watched;
		if (!watched || this.#merging) return undefined;
		// Asked every second: a loose ref file still holding the tip is git's own answer, without a process.
		const common = knownCommonDir(this.root);
		if (common !== undefined && looseRefHolds(common, `refs/heads/${watched.base}`, watched.tip)) return undefined;
		const generation = this.#mergeGeneration;
		const tip = (await revParse(this.root, `refs/heads/${watched.base}`)) ?? '(deleted)';
		if (this.#merging || generation !== this.#mergeGeneration) return undefined;
		return tip === this.#watched?.tip ? undefined : {base: watched.base, expected: watched.tip, tip};
	}

	async mergeToBase(req: MergeRequest): Promise<MergeResult> {
		const branch = this.branchName(req.ticketId);
		// The checkout sync (read-tree in the user's checkout) runs under its own
		// lock, after the ref lock is released: the next merge need not wait for
		// it. Queued in merge order, so syncs apply in order.
		let sync: Promise<string[]> | undefined;
		const result = await this.#lock.runExclusive(async () => {
			const watched = this.#watched?.base === req.base ? this.#watched : undefined;
			this.#merging = true;
			this.#mergeGeneration++;
			try {
				return await mergeToBase(this.root, branch, {...req, ...(watched ? {expected: watched.tip} : {})}, async (old, commit) => {
					if (watched) watched.tip = commit;
					const onKept = this.onCheckoutKept && ((kept: KeptCheckout) => this.onCheckoutKept?.({...kept, ticket: req.ticketId}));
					sync = this.#syncLock.runExclusive(() => syncCheckouts(this.root, req.base, old, commit, onKept));
					return [];
				});
			} finally {
				this.#mergeGeneration++;
				this.#merging = false;
			}
		});
		if (result.kind === 'foreign') this.onForeignBase?.({base: req.base, expected: result.expected, tip: result.tip});
		if (result.kind === 'merged' && sync) {
			result.warnings = await sync.catch((error: unknown) => [
				`merged ${req.ticketId} into ${req.base}, but could not bring checkouts of ${req.base} up to date: ` +
					`${error instanceof Error ? error.message : String(error)}`,
			]);
		}
		return result;
	}

	/**
	 * Commit the run's ticket files onto base like a merge (same lock, same
	 * watch: base must be where the queue left it), then bring checkouts of base along.
	 */
	async commitTrackerState(req: Omit<StateCommitRequest, 'expected'>): Promise<{result: StateCommitResult; warnings: string[]}> {
		const result = await this.#lock.runExclusive(async () => {
			const watched = this.#watched?.base === req.base ? this.#watched : undefined;
			this.#merging = true;
			this.#mergeGeneration++;
			try {
				const made = await commitTrackerState(this.root, {...req, ...(watched ? {expected: watched.tip} : {})});
				if (made.kind === 'committed' && watched) watched.tip = made.sha;
				return made;
			} finally {
				this.#mergeGeneration++;
				this.#merging = false;
			}
		});
		if (result.kind !== 'committed') return {result, warnings: []};
		const warnings = await this.#syncLock.runExclusive(async () => {
			await adoptCommittedFiles(this.root, req.base, result.sha, req.files);
			return syncCheckouts(this.root, req.base, result.parent, result.sha, this.onCheckoutKept);
		});
		return {result, warnings};
	}

	/** Bring every checkout of `base` from `oldSha` to `newSha` (after a merge found on resume); returns warnings. */
	syncCheckouts(base: string, oldSha: string, newSha: string): Promise<string[]> {
		return this.#syncLock.runExclusive(() => syncCheckouts(this.root, base, oldSha, newSha, this.onCheckoutKept));
	}

	/** Append a finished ticket to the merge queue's ledger (idempotent), under the ledger's lock. */
	recordMerge(record: LedgerRecord): Promise<LedgerAppend> {
		return this.#ledgerLock.runExclusive(() => appendLedger(this.root, record));
	}

	/** Append a person's gate or ungate to the ledger (the oracle's evidence for human_gated), under the same lock. */
	recordGate(record: GateLedgerRecord): Promise<LedgerAppend> {
		return this.#ledgerLock.runExclusive(() => appendGate(this.root, record));
	}

	/** The ledger's latest gate or ungate of `ticket`, or undefined. */
	latestGate(ticket: string): Promise<GateLedgerRecord | undefined> {
		return latestGate(this.root, ticket);
	}

	findMerge(ticketId: string, attempt: number, base: string): Promise<string | undefined> {
		return findMerge(this.root, ticketId, attempt, base);
	}

	/** Runs `fn` in a throwaway checkout detached at `sha`, removed whatever happened (see detached-checkout.ts). */
	withDetachedCheckout<T>(name: string, sha: string, fn: (checkout: string) => Promise<T>): Promise<T> {
		return withDetachedCheckout(this.root, this.#treeLock, name, sha, fn);
	}

	#verify: VerifyCheckouts | undefined;

	/** Runs `fn` in a reused checkout moved to `sha` and proven to hold exactly its tree (verify-checkouts.ts); dropped when the run ends. */
	withVerifyCheckout<T>(sha: string, fn: (checkout: string) => Promise<T>): Promise<T> {
		return (this.#verify ??= new VerifyCheckouts(this.root, this.#treeLock)).use(sha, fn);
	}

	dropVerifyCheckouts(): Promise<void> {
		const verify = this.#verify ?? new VerifyCheckouts(this.root, this.#treeLock);
		this.#verify = undefined;
		return verify.drain();
	}

	/** Removes a ticket's checkout and its branch; fine if either is already gone. */
	removeWorktree(ticketId: string): Promise<void> {
		return this.#treeLock.runExclusive(() => removeTicketCheckout(this.root, this.worktreePath(ticketId), this.branchName(ticketId)));
	}

	/** Checkouts of `base` with uncommitted changes to tracked files outside what `ignore` drops. */
	dirtyCheckouts(base: string, ignore: (file: string) => boolean): Promise<DirtyCheckout[]> {
		return dirtyBaseCheckouts(this.root, base, ignore);
	}

	listWorktrees(): Promise<WorktreeInfo[]> {
		return listWorktrees(this.root);
	}
}
