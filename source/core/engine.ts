import type {Ticket} from '../tracker/ticket.js';
import type {AttemptOutcome} from './attempt.js';
import {realAttempt, type AttemptRunner} from './attempt-runner.js';
import {Chores} from './chores.js';
import {commitRunState} from './commit-run-state.js';
import type {EngineContext, RunDeps} from './context.js';
import {agentExited, freeSlots} from './dispatch-slots.js';
import {EngineState, type EngineCore} from './engine-state.js';
import type {EngineEvent} from './events.js';
import {fileTicket} from './filing-reconcile.js';
import {tryHeal} from './heal-round.js';
import {HumanControls} from './human-controls.js';
import {OracleJudge, type Judge} from './live-judge.js';
import type {OracleVerdict} from './oracle.js';
import {reapRunProcesses} from '../process/orphans.js';
import {checkTheLedger, watchTheLedger} from './record-done.js';
import {recover} from './recovery.js';
import {RunBudgets} from './run-budget.js';
import {RunLedger} from './run-ledger.js';
import {RunWatch, type HaltCause} from './run-watch.js';
import {settleOutcome} from './settle.js';
import {readySet} from './scheduler.js';
import {TrackerView} from './tracker-view.js';
import {Waker} from './wake.js';
import {attemptStartEngine} from './engines.js';

/** What a unit test replaces besides the run's dependencies: the attempt and the oracle (a process). */
export type EngineParts = {runAttempt?: AttemptRunner; judge?: Judge};

/**
 * The spine: while the oracle would not say done, start every ready ticket and
 * wait for the next settlement. There is no timer: an attempt ending wakes the
 * loop at once, and the loop ends when nothing is running and nothing is ready.
 *
 * Seam: `new Engine(deps, {runAttempt, judge})` with fakes (test/helpers/engine-fakes.ts), then `drain()` dispatches
 * and settles until nothing runs and nothing is ready; `run()` adds the watches, the oracle and the heal (real git).
 */
export class Engine implements EngineCore {
	readonly ctx: EngineContext;
	readonly state: EngineState;
	readonly view: TrackerView;
	readonly controls: HumanControls;
	/** The log so far and every count over it (ledger.ts). */
	readonly ledger: RunLedger;
	readonly chores: Chores;
	private readonly judge: Judge;
	private readonly runAttempt: AttemptRunner;
	private readonly waker: Waker;
	private watch: RunWatch | undefined;

	constructor(deps: RunDeps, parts: EngineParts = {}) {
		this.ledger = new RunLedger(deps.log, deps.config.attempts);
		this.chores = new Chores(deps.log);
		this.state = new EngineState(deps.config.selfHeal.repeatLimit);
		this.waker = new Waker(deps.now);
		this.ctx = {
			...deps,
			chore: (what, work) => this.chores.add(what, work),
			owns: id => deps.tickets.owns(id),
			stopping: () => this.state.stopRequested,
			mergeHalt: () => this.judge.tampered() ?? this.watch?.checkGitControl(),
			reviewRounds: id => this.ledger.reviewRounds(id),
			attemptBudget: id => this.ledger.budget(id),
			claimAfterAgent: (id, attempt) => {
				if (agentExited(this.state.running, id, attempt)) this.wake();
				return this.state.takeClaim(id, attempt);
			},
			writeTicket: async (id, status, fields, reason) => deps.tickets.write(id, status, fields, reason),
			workerChannel: (ticket, attempt) =>
				deps.openChannel(ticket, attempt, {
					file: request => fileTicket(this, request),
					note: (id, text) => this.controls.note(id, text),
					blocked: request => this.controls.blocked(request),
				}),
		};
		this.view = new TrackerView(
			this.ctx,
			() => this.events,
			() => this.wake(),
		);
		this.judge =
			parts.judge ??
			new OracleJudge(
				deps,
				() => this.state.stopRequested,
				() => this.wake(),
			);
		this.runAttempt = parts.runAttempt ?? realAttempt;
		this.controls = new HumanControls(this);
	}

	get stopping(): boolean {
		return this.state.stopRequested;
	}

	get halted(): HaltCause | undefined {
		return this.state.halted;
	}

	get events(): readonly EngineEvent[] {
		return this.ledger.events;
	}

	/** Stop at once for a cause a person must look at; the message is logged (run.halted) before the run ends. */
	halt(cause: HaltCause, message: string | Promise<string>): void {
		if (this.state.halted) return;
		this.state.halted = cause;
		this.requestStop();
		this.chores.add(
			'recording why the run halted',
			Promise.resolve(message).then(text => this.ctx.log.append({type: 'run.halted', cause, message: text})),
		);
	}

	/** Stop dispatching and end running attempts as interrupted (they do not count). */
	requestStop(): void {
		this.state.stopRequested = true;
		reapRunProcesses(this.ctx.run.id);
		this.wake();
	}

	publishTickets(): void {
		const tickets = this.view.batch().map(t => ({id: t.id, title: t.title, status: t.status, deps: t.deps, locks: t.locks, priority: t.priority}));
		this.ctx.log.append({type: 'run.tickets', tickets});
	}

	/** Reconcile a resumed run with what survived the crash, before any dispatch (recovery.ts). */
	async recover(): Promise<void> {
		await recover(this);
	}

	/** Run until nothing is running and nothing is ready; then ask the oracle. */
	async run(): Promise<OracleVerdict> {
		const watch = (this.watch = new RunWatch(this.ctx, {halt: (cause, message) => this.halt(cause, message), wake: () => this.wake()}));
		try {
			await watch.start(this.events);
			await watchTheLedger(this.ctx);
			await this.view.refresh();
			this.publishTickets();
			this.scheduleJudge();
			for (;;) {
				await this.drain();
				if (this.state.stopRequested) break;
				// About to stop: if the oracle is not at 0, a healer may fix the harness (never the verifier).
				await this.ctx.tickets.settled();
				await watch.lastLook();
				await this.judge.settled();
				const verdict = await this.judge.judge(false);
				if (verdict.exit === 0 || !(await tryHeal(this, verdict))) break;
			}
		} catch (error) {
			// Never leave attempts running (and merging) behind an engine that is giving up.
			this.ctx.log.append({type: 'warning', fatal: true, message: `the engine hit an error and stops: ${(error as Error).message}`});
			this.requestStop();
			await this.wind();
			throw error;
		} finally {
			watch.stop();
		}
		await this.wind();
		// Whatever a check or an agent left running dies with the run.
		reapRunProcesses(this.ctx.run.id);
		await checkTheLedger(this.ctx);
		await commitRunState(this.ctx, this.events);
		return this.judge.judge(true);
	}

	/** Let running attempts, chores and the live verdict finish; close the watches. */
	async wind(): Promise<void> {
		this.view.close();
		this.judge.close();
		this.waker.clear();
		while (this.state.running.size > 0) await this.waker.next();
		await this.chores.settled();
		await this.judge.settled();
	}

	/** Dispatch and settle until nothing runs and nothing is ready (or a stop). */
	async drain(): Promise<void> {
		const {state} = this;
		for (;;) {
			if (state.stopRequested) return;
			await this.view.refresh();
			const halted = state.harnessHalt ?? this.judge.tampered();
			if (!state.paused && !this.view.problem && !halted) this.dispatch();
			// Halted on a repeating harness error or a changed oracle: let the running attempts finish, then stop.
			if (state.running.size === 0 && halted) return;
			// Paused, waiting for a broken ticket file to be fixed, or for a usage limit to lift,
			// with nothing running: wait (for resume, a fix, the reset, or stop); do not end the run.
			if (state.running.size === 0 && !state.paused && !this.view.problem && !this.waker.timing) return;
			this.view.watchWhileBroken();
			await this.waker.next();
		}
	}

	scheduleJudge(): void {
		this.judge.schedule();
	}

	private dispatch(): void {
		const {ctx, state} = this;
		// The cost and wall-clock budgets (run-budget.ts), counted from the first dispatch of this engine.
		if ((state.budgets ??= new RunBudgets(ctx.config, e => ctx.log.append(e), this.events, ctx.now)).spent(this.ledger.spentUsd())) return;
		const ready = readySet({
			tickets: this.view.batch().map(t => ({id: t.id, status: t.status, deps: t.deps, locks: t.locks, priority: t.priority})),
			statusOf: id => this.view.tickets.get(id)?.status,
			running: new Set(state.running.keys()),
			heldLocks: new Set([...state.running.values()].flatMap(r => r.locks)),
			slots: freeSlots(ctx.config.concurrency, state.running.values(), ctx.reviewer !== undefined),
			dispatchable: t => state.resumeVerify.has(t.id) || (!state.resetting.has(t.id) && this.ledger.mayStart(t.id, t.status) && !this.limitedNow(t.id)),
		});
		for (const picked of ready) {
			const ticket = this.view.tickets.get(picked.id);
			if (ticket) this.start(ticket);
		}
	}

	private start(ticket: Ticket): void {
		const {ctx, state} = this;
		const resume = state.resumeVerify.get(ticket.id);
		state.resumeVerify.delete(ticket.id);
		const attempt = resume ? resume.attempt : this.ledger.current(ticket.id);
		state.running.set(ticket.id, {attempt, locks: ticket.locks});
		// A claim an interrupted attempt of the same number left (a gate cut it) is not this one's.
		if (!resume) state.claims.delete(`${ticket.id}#${attempt}`);
		const job = (async (): Promise<void> => {
			let marked: Promise<void> = Promise.resolve();
			if (!resume) {
				const budget = this.ledger.budget(ticket.id);
				ctx.log.append({
					type: 'attempt.started',
					ticket: ticket.id,
					attempt,
					maxAttempts: budget,
					...attemptStartEngine(ctx, ticket, attempt),
					worktree: ctx.repo.worktreePath(ticket.id),
				});
				// The status write and the worktree are independent: do not make the agent wait for the file.
				// (Tracker writes are queued, so the attempt's later writes still land after this one.)
				marked = ctx.writeTicket(ticket.id, 'in_progress', {status: 'in_progress', attempts: attempt}, `attempt ${attempt}/${budget}`);
			}
			const outcome = await this.runAttempt(
				ctx,
				ticket,
				attempt,
				this.ledger.previousReasons(ticket.id),
				this.events,
				resume ? {mergeSha: resume.sha} : undefined,
			);
			await marked;
			await this.settle(ticket, attempt, outcome);
		})();
		job
			.catch(error => {
				ctx.log.append({
					type: 'warning',
					ticket: ticket.id,
					message: `attempt ${attempt} crashed inside proofloop: ${(error as Error).stack ?? String(error)}`,
				});
			})
			.finally(() => {
				state.running.delete(ticket.id);
				this.wake();
			});
	}

	/** What an attempt's outcome writes: the log, the ticket, the repeat detector (settle.ts). */
	private async settle(ticket: Ticket, attempt: number, outcome: AttemptOutcome): Promise<void> {
		this.scheduleJudge();
		await settleOutcome({ctx: this.ctx, state: this.state, ledger: this.ledger, wakeAt: until => this.waker.at(until)}, ticket.id, attempt, outcome);
	}

	/** Whether a usage limit still holds this ticket back (from the log, so it survives a restart). */
	private limitedNow(id: string): boolean {
		const until = this.ledger.limitedUntil(id, this.ctx.now());
		if (until === undefined) return false;
		this.waker.at(until);
		return true;
	}

	wake(): void {
		this.waker.wake();
	}
}
