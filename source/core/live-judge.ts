import {setTimeout as sleep} from 'node:timers/promises';
import type {RunDeps} from './context.js';
import {runOracle, type OracleVerdict} from './oracle.js';
import {OracleTamper} from './oracle-tamper.js';

/** What the engine asks of the oracle; a unit test gives a fake (the real one runs the pinned oracle as a process). */
export interface Judge {
	/** Run the oracle now and log its verdict. */
	judge(final: boolean): Promise<OracleVerdict>;
	/** Ask again soon (the live bar); never two at once. */
	schedule(): void;
	/** Resolves when no live verdict is being made. */
	settled(): Promise<void>;
	/** Why dispatch and merges are stopped (the oracle on disk no longer matches the run's pin), if so. */
	tampered(): string | undefined;
	close(): void;
}

/** At most one live (non-final) oracle verdict per this many ms; the final verdict is never delayed. */
const LIVE_JUDGE_GAP_MS = 1000;
/**
 * After a live verdict the oracle rests at least this many times what it took:
 * at 10,000 tickets a verdict costs about as much as the gap, and back to back it
 * would hold a core. The oracle's share of a core stays at most 1 / (1 + this).
 */
const LIVE_JUDGE_COST_FACTOR = 3;
/**
 * A live verdict waits this long after the settlement that asked for it: the
 * settlement usually makes the next ticket ready, and its agent should start
 * before the oracle process (a node start, every ticket read, git) takes a
 * core of a small machine. Measured by `npm run bench -- pickup`.
 */
const LIVE_JUDGE_SETTLE_MS = 250;

/** How live verdicts are spaced; a test narrows the gap to see the cost rule alone. */
export type LivePace = {gapMs: number; costFactor: number; settleMs: number};
const livePace: LivePace = {gapMs: LIVE_JUDGE_GAP_MS, costFactor: LIVE_JUDGE_COST_FACTOR, settleMs: LIVE_JUDGE_SETTLE_MS};

/** The pinned oracle, asked after settlements (the live bar) and once at the end. */
export class OracleJudge implements Judge {
	readonly #tamper: OracleTamper;
	#judging: Promise<void> | undefined;
	#again = false;
	/** No live verdict starts before this (Date.now() ms): the rest the last verdict earned. */
	#nextAt = 0;
	/** Cuts a live verdict's wait short when the caller is about to judge itself (settled, close). */
	#waiting: AbortController | undefined;

	constructor(
		private readonly ctx: Pick<RunDeps, 'log' | 'repoRoot' | 'run' | 'manifest'>,
		private readonly stopping: () => boolean,
		wake: () => void,
		private readonly pace: LivePace = livePace,
	) {
		this.#tamper = new OracleTamper(ctx.manifest.oracle_sha256, ctx.log, wake);
	}

	tampered(): string | undefined {
		return this.#tamper.check();
	}

	schedule(): void {
		this.#again = true;
		if (this.#judging) return;
		this.#judging = (async () => {
			let first = true;
			// Only when something changed (a settlement asked again), and never back to back (see #nextAt).
			while (this.#again && (first || !this.stopping())) {
				await this.#wait(Math.max(first ? this.pace.settleMs : 0, this.#nextAt - Date.now()));
				// settled() or close() took over, or the run began to stop while this one waited.
				if (!this.#again || (!first && this.stopping())) break;
				this.#again = false;
				first = false;
				await this.judge(false).catch(() => undefined);
			}
			this.#judging = undefined;
		})();
	}

	/** Resolves when no live verdict is being made; one still waiting is dropped (the caller judges next). */
	async settled(): Promise<void> {
		this.#again = false;
		this.#waiting?.abort();
		await this.#judging;
	}

	async #wait(ms: number): Promise<void> {
		if (ms <= 0) return;
		const waiting = (this.#waiting = new AbortController());
		await sleep(ms, undefined, {signal: waiting.signal}).catch(() => undefined);
		this.#waiting = undefined;
	}

	async judge(final: boolean): Promise<OracleVerdict> {
		// The oracle asked must be the oracle pinned: the bytes checked are the bytes run.
		const began = Date.now();
		const oracle = this.#tamper.read();
		const verdict: OracleVerdict = oracle.ok
			? await runOracle({repoRoot: this.ctx.repoRoot, manifestFile: this.ctx.run.manifestFile, source: oracle.source})
			: {verdict: 'cannot_judge', exit: 2, tickets: [], error: oracle.message};
		const took = Date.now() - began;
		const holding = verdict.tickets.filter(t => !t.passing).map(t => ({id: t.id, status: t.status, reason: t.reason}));
		this.ctx.log.append({
			type: 'oracle.verdict',
			exit: verdict.exit,
			verdict: verdict.verdict,
			summary: verdict.error ?? `${verdict.passing ?? 0}/${verdict.total ?? 0} tickets done or human-gated`,
			holding,
			final,
			ms: took,
		});
		// The rest grows with what the verdict cost: agents are not kept waiting for a core.
		this.#nextAt = began + Math.max(this.pace.gapMs, (1 + this.pace.costFactor) * took);
		return verdict;
	}

	close(): void {
		this.#again = false;
		this.#waiting?.abort();
		this.#tamper.close();
	}
}
