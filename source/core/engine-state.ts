import type {AgentClaim, EngineContext} from './context.js';
import type {EngineEvent} from './events.js';
import {RepeatDetector} from './harness-errors.js';
import type {RunBudgets} from './run-budget.js';
import type {HaltCause} from './run-watch.js';
import type {TrackerView} from './tracker-view.js';
import type {RunLedger} from './run-ledger.js';

/** `agentExited`: past its agent, finishing (checks, merge, verify) without a dispatch slot (dispatch-slots.ts). */
export type RunningAttempt = {attempt: number; locks: readonly string[]; agentExited?: boolean};

/** One engine's mutable state, declared in one place: the loop, the human controls, recovery and filing change it. */
export class EngineState {
	/** Attempts running now, by ticket. */
	readonly running = new Map<string, RunningAttempt>();
	/** Attempts whose merge landed before a crash: a resume continues them at verify. */
	readonly resumeVerify = new Map<string, {attempt: number; sha: string}>();
	/** Tickets a retry or reset is working on: not dispatched until it is done. */
	readonly resetting = new Set<string>();
	/** What workers said through `proofloop ticket`, by `ticket#attempt`: read once, when the agent exits. */
	readonly claims = new Map<string, AgentClaim>();
	/** Consecutive failures sharing one harness error (harness-errors.ts). */
	readonly repeats: RepeatDetector;
	paused = false;
	stopRequested = false;
	/** Set when a harness error keeps ending attempts (or a program cannot start): dispatch stops until a heal. */
	harnessHalt: string | undefined;
	/** Why the run halted short (base moved by someone else, the tracker broken past its grace, the config changed). */
	halted: HaltCause | undefined;
	/** The cost and wall-clock budgets (made at the first dispatch, once this start is in the log). */
	budgets: RunBudgets | undefined;

	constructor(repeatLimit: number) {
		this.repeats = new RepeatDetector(repeatLimit);
	}

	/** Read once when the worker exits: what it claimed during its run. */
	takeClaim(id: string, attempt: number): AgentClaim | undefined {
		const key = `${id}#${attempt}`;
		const claim = this.claims.get(key);
		this.claims.delete(key);
		return claim;
	}
}

/** What the engine's parts (human-controls, recovery, filing-reconcile, heal-round) reach of it. */
export interface EngineCore {
	readonly ctx: EngineContext;
	readonly state: EngineState;
	/** The tracker as last read (tracker-view.ts). */
	readonly view: TrackerView;
	/** The run's log so far, kept current. */
	readonly events: readonly EngineEvent[];
	/** Wake the loop: something it waits for may have changed. */
	wake(): void;
	/** Ask the oracle again soon (the live bar). */
	scheduleJudge(): void;
	requestStop(): void;
	/** Log the batch as clients draw it. */
	publishTickets(): void;
	/** Every count over the log (ledger.ts). */
	readonly ledger: RunLedger;
}
