import {readFileSync, statSync} from 'node:fs';
import path from 'node:path';
import {runGit} from '../git/index.js';
import {LedgerMovedError, ledgerMovedBySomeoneElse} from '../git/ledger.js';
import type {Ticket} from '../tracker/ticket.js';
import {CONFIG_PATH, ProjectConfig} from './config.js';
import {GitControl} from './git-control.js';
import {pinnedTicket, pinTickets, pinText} from './ticket-pins.js';
import type {EngineContext} from './context.js';
import type {EngineEvent} from './events.js';

// What must not change under a running batch without a person looking:
// base moved by anyone but the merge queue, the config fields that define the
// run, and a tracker that stopped reading cleanly past its grace period. One
// cheap look a second (a rev-parse, a stat, a tracker read), never silent.

export type HaltCause = 'base.foreign' | 'ledger.foreign' | 'tracker' | 'config' | 'git.control';
export type WatchHooks = {
	/** Stop dispatch at once; the message (said when ready) goes to the log and the stop report. */
	halt: (cause: HaltCause, message: string | Promise<string>) => void;
	/** Make the engine re-read the tracker now. */
	wake: () => void;
};

const TICK_MS = 1000;
/** The config fields that define what a run is: a change to one mid-run ends it. */
export const RUN_DEFINING_FIELDS = ['batch', 'base', 'tracker'] as const;

/** The pinned tickets the tracker no longer has, as a problem with the file and the fix. */
export function missingTickets(
	pinned: readonly string[],
	loaded: readonly Ticket[],
	fileOf: (id: string) => string | undefined,
	dir: string,
): string | undefined {
	const present = new Set(loaded.map(t => t.id));
	const gone = pinned.filter(id => !present.has(id));
	if (gone.length === 0) return undefined;
	return gone
		.map(id => {
			const file = fileOf(id) ?? `${dir}/${id}.md`;
			return (
				`${file}: ticket ${id} of this run's batch is gone (deleted, renamed or its id changed)\n  fix: put it back (git checkout -- ${file}); ` +
				`to take it out of the batch, gate it instead (proofloop gate ${id})`
			);
		})
		.join('\n');
}

const fieldValue = (raw: Record<string, unknown>, field: (typeof RUN_DEFINING_FIELDS)[number]): string => {
	const parsed = ProjectConfig.shape[field].safeParse(raw[field]);
	return parsed.success ? JSON.stringify(parsed.data) : `an invalid ${JSON.stringify(raw[field])}`;
};

export class RunWatch {
	#timer: NodeJS.Timeout | undefined;
	#ticking = false;
	#lastError: string | undefined;
	#done = false;
	#broken: {message: string; since: number} | undefined;
	#configStamp = '';
	readonly #baseline: Record<string, string>;
	readonly #files = new Map<string, string>();
	/** Each ticket's finish line and allow list as last said: a change mid-run is said out loud (and not honoured until the next start). */
	readonly #said = new Map<string, string>();
	readonly #gitControl: GitControl;

	constructor(
		private readonly ctx: EngineContext,
		private readonly hooks: WatchHooks,
	) {
		const config = ctx.config as unknown as Record<string, unknown>;
		this.#baseline = Object.fromEntries(RUN_DEFINING_FIELDS.map(field => [field, fieldValue(config, field)]));
		this.#gitControl = new GitControl(ctx.repoRoot);
	}

	/** A git control file changed since run start (git-control.ts): halts the run; asked every tick and before each merge and verify. */
	checkGitControl(): string | undefined {
		const change = this.#gitControl.change();
		if (change) this.#halt('git.control', change);
		return change;
	}

	/**
	 * Begin watching. Base must be where the merge queue left it: the run's
	 * base_commit, one of its merges or its ticket-state commit (a resumed run's log has them all, a
	 * merge cut by the crash included, once recover() ran). Anything else
	 * came while the engine was down, and halts now.
	 */
	async start(history: readonly EngineEvent[]): Promise<void> {
		const {ctx} = this;
		const base = ctx.config.base;
		const made = [ctx.manifest.base_commit, ...history.flatMap(e => (e.type === 'merge.done' || e.type === 'state.committed' ? [e.sha] : []))];
		const tip = await ctx.repo.revParse(`refs/heads/${base}`);
		ctx.repo.onForeignBase = found => this.#foreign(found);
		if (tip && made.includes(tip)) ctx.repo.watchBase(base, tip);
		else {
			const expected = made.at(-1) ?? ctx.manifest.base_commit;
			ctx.repo.watchBase(base, expected);
			this.#foreign({base, expected, tip: tip ?? '(deleted)'});
			return;
		}
		const tickets = await ctx.tracker.load().catch(() => []);
		for (const ticket of tickets) this.#files.set(ticket.id, ticket.file);
		pinTickets(ctx, tickets);
		// Never what keeps the process alive: the engine's own work does that.
		this.#timer = setInterval(() => void this.tick(), TICK_MS).unref();
	}

	stop(): void {
		this.#done = true;
		clearInterval(this.#timer);
		this.ctx.repo.onForeignBase = undefined;
	}

	async tick(): Promise<void> {
		if (this.#ticking || this.#done) return;
		this.#ticking = true;
		try {
			this.#checkConfig();
			this.checkGitControl();
			if (this.#done) return;
			const found = await this.ctx.repo.checkBase();
			if (found) return this.#foreign(found);
			await this.checkLedger();
			if (this.#done) return;
			await this.#checkTracker();
		} catch (error) {
			const message = `the run's watch could not look: ${(error as Error).message}`;
			if (message !== this.#lastError) this.ctx.log.append({type: 'warning', message});
			this.#lastError = message;
		} finally {
			this.#ticking = false;
		}
	}

	/**
	 * One more look at the tickets before the run judges its end: an edit to a
	 * ticket's finish line made since the last tick (a run can end within one)
	 * is said, not lost.
	 */
	async lastLook(): Promise<void> {
		while (this.#ticking) await new Promise(resolve => setTimeout(resolve, 20));
		if (this.#done) return;
		this.#ticking = true;
		try {
			await this.#checkTracker();
		} finally {
			this.#ticking = false;
		}
	}

	/** The merge queue's ledger moved by anyone but the engine: the evidence the oracle reads is in doubt, so the run halts. */
	async checkLedger(): Promise<void> {
		const moved = await ledgerMovedBySomeoneElse(this.ctx.repoRoot);
		if (moved)
			this.#halt('ledger.foreign', `${new LedgerMovedError(moved).message}\nDispatch stopped: nothing more is merged or recorded until a person looks.`);
	}

	#halt(cause: HaltCause, message: string | Promise<string>): void {
		if (this.#done) return;
		this.stop();
		this.hooks.halt(cause, message);
	}

	#foreign(found: {base: string; expected: string; tip: string}): void {
		this.#halt('base.foreign', this.#describeForeign(found));
	}

	async #describeForeign({base, expected, tip}: {base: string; expected: string; tip: string}): Promise<string> {
		const root = this.ctx.repoRoot;
		const log = await runGit(root, ['log', '-n', '10', '--format=%H%x00%an <%ae>%x00%s', `${expected}..${tip}`, '--']);
		const commits = log.stdout
			.split('\n')
			.filter(Boolean)
			.map(line => {
				const [sha = '', author = '', subject = ''] = line.split('\0');
				return {sha, author, subject};
			});
		const rewritten = (await runGit(root, ['merge-base', '--is-ancestor', expected, tip])).exitCode !== 0;
		const message = [
			`${base} moved to ${tip.slice(0, 12)} outside the merge queue (its last merge left ${base} at ` +
				`${expected.slice(0, 12)})${rewritten ? `; ${base} was rewritten: it no longer contains ${expected.slice(0, 12)}` : ''}:`,
			...commits.map(c => `  ${c.sha.slice(0, 12)} ${c.author}: ${c.subject}`),
			'Dispatch stopped: no new attempt starts and nothing is merged over it.',
			`  fix: look at the commit. Not wanted: keep it aside (git branch foreign-commit ${tip.slice(0, 12)}) ` +
				`and put ${base} back (git update-ref refs/heads/${base} ${expected} ${tip}); wanted: leave it. ` +
				`Then \`proofloop run\` starts a new run of the batch from ${base} as it is.`,
		].join('\n');
		this.ctx.log.append({type: 'base.foreign', base, expected, tip, commits, message});
		return message;
	}

	#stamp(): string {
		try {
			const stat = statSync(path.join(this.ctx.repoRoot, CONFIG_PATH));
			return `${stat.ino}:${stat.size}:${stat.mtimeMs}`;
		} catch {
			return 'missing';
		}
	}

	#checkConfig(): void {
		const stamp = this.#stamp();
		if (stamp === this.#configStamp) return;
		this.#configStamp = stamp;
		const fix = `  fix: this run is over; if the change was not meant, put the field back. \`proofloop run\` then starts a new run with ${CONFIG_PATH} as it is`;
		if (stamp === 'missing') return this.#halt('config', `${CONFIG_PATH} was deleted since the run started\n${fix}`);
		let raw: Record<string, unknown>;
		try {
			raw = JSON.parse(readFileSync(path.join(this.ctx.repoRoot, CONFIG_PATH), 'utf8')) as Record<string, unknown>;
		} catch {
			return; // Mid-edit, or broken: it changes nothing until it parses (the next run refuses it with the fix).
		}
		if (typeof raw !== 'object' || raw === null) return;
		for (const field of RUN_DEFINING_FIELDS) {
			const now = fieldValue(raw, field);
			if (now !== this.#baseline[field]) {
				return this.#halt('config', `${field} changed since the run started (${CONFIG_PATH}: was ${this.#baseline[field]}, now ${now})\n${fix}`);
			}
		}
	}

	async #checkTracker(): Promise<void> {
		const {ctx} = this;
		let problem: string | undefined;
		try {
			const loaded = await ctx.tracker.load();
			for (const ticket of loaded) {
				this.#files.set(ticket.id, ticket.file);
				const pinned = pinText(pinnedTicket(ctx, ticket));
				const now = pinText({...ticket, allow: ticket.allow ?? []});
				if (now !== (this.#said.get(ticket.id) ?? pinned)) {
					this.#said.set(ticket.id, now);
					if (now !== pinned) {
						ctx.log.append({
							type: 'warning',
							ticket: ticket.id,
							message:
								`${ticket.file}: checks, verify or allow changed during the run (now ${now}); this run keeps what it started with (${pinned}). ` +
								`If a person wrote it, it counts from the next \`proofloop run\`; if not, an agent did: put it back`,
						});
					}
				}
			}
			problem = missingTickets(ctx.manifest.ticket_ids, loaded, id => this.#files.get(id), ctx.config.tracker.dir);
		} catch (error) {
			problem = (error as Error).message;
		}
		const grace = ctx.config.trackerGraceSeconds;
		if (problem === undefined) {
			if (this.#broken) {
				this.#broken = undefined;
				ctx.log.append({type: 'tracker.fixed'});
				this.hooks.wake();
			}
			return;
		}
		if (this.#broken?.message !== problem) {
			this.#broken = {message: problem, since: this.#broken?.since ?? Date.now()};
			ctx.log.append({type: 'tracker.broken', message: problem, graceSeconds: grace});
			this.hooks.wake();
		}
		if (Date.now() - this.#broken.since >= grace * 1000) {
			this.#halt('tracker', `${problem}\nThe tracker was not fixed within trackerGraceSeconds (${grace}s).`);
		}
	}
}
