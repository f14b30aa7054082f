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
 * A live verdict waits this long after the settlement that asked for it: the
 * settlement usually makes the next ticket ready, and its agent should start
 * before the oracle process (a node start, every ticket read, git) takes a
 * core of a small machine. Measured by `npm run bench -- pickup`.
 */
const LIVE_JUDGE_SETTLE_MS = 250;

/** The pinned oracle, asked after settlements (the live bar) and once at the end. */
export class OracleJudge implements Judge {
	readonly #tamper: OracleTamper;
	#judging: Promise<void> | undefined;
	#again = false;

	constructor(
		private readonly ctx: Pick<RunDeps, 'log' | 'repoRoot' | 'run' | 'manifest'>,
		private readonly stopping: () => boolean,
		wake: () => void,
	) {
		this.#tamper = new OracleTamper(ctx.manifest.oracle_sha256, ctx.log, wake);
	}

	tampered(): string | undefined {
		return this.#tamper.check();
	}

	schedule(): void {
		if (this.#judging) {
			this.#again = true;
			return;
		}
		this.#judging = (async () => {
			await sleep(LIVE_JUDGE_SETTLE_MS);
			do {
				const began = Date.now();
				this.#again = false;
				await this.judge(false).catch(() => undefined);
				// The live bar need not be fresher than this: back to back, the oracle (a process
				// that reads every ticket and git) would keep a core busy while agents wait for it.
				const rest = LIVE_JUDGE_GAP_MS - (Date.now() - began);
				if (this.#again && rest > 0 && !this.stopping()) await sleep(rest);
			} while (this.#again && !this.stopping());
			this.#judging = undefined;
		})();
	}

	async settled(): Promise<void> {
		await this.#judging;
	}

	async judge(final: boolean): Promise<OracleVerdict> {
		// The oracle asked must be the oracle pinned: the bytes checked are the bytes run.
		const oracle = this.#tamper.read();
		const verdict: OracleVerdict = oracle.ok
			? await runOracle({repoRoot: this.ctx.repoRoot, manifestFile: this.ctx.run.manifestFile, source: oracle.source})
			: {verdict: 'cannot_judge', exit: 2, tickets: [], error: oracle.message};
		const holding = verdict.tickets.filter(t => !t.passing).map(t => ({id: t.id, status: t.status, reason: t.reason}));
		this.ctx.log.append({
			type: 'oracle.verdict',
			exit: verdict.exit,
			verdict: verdict.verdict,
			summary: verdict.error ?? `${verdict.passing ?? 0}/${verdict.total ?? 0} tickets done or human-gated`,
			holding,
			final,
		});
		return verdict;
	}

	close(): void {
		this.#tamper.close();
	}
}
