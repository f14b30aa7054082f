import {watch, type FSWatcher} from 'node:fs';
import path from 'node:path';
import type {Ticket, TicketUpdate} from '../tracker/ticket.js';
import {mkdirSync, writeFileSync} from 'node:fs';
import {runAttempt, type AttemptOutcome} from './attempt.js';
import type {ControlRequest} from './control.js';
import {checkFiling, filingCap, nextTicketId, type FileRequest} from './filing.js';
import {runHeal, type HealOutcome} from './heal.js';
import {RepeatDetector} from './harness-errors.js';
import {stopReport} from './stop-report.js';
import {RunBudgets} from './run-budget.js';
import {startFresh} from './fresh-attempt.js';
import {cannotStartFix} from './cannot-start.js';
import {backToTodo, refusal, verbMessage, type HumanTicketVerb} from './retry-reset.js';
import {createAdapter} from '../agents/registry.js';
import {writeManifest} from './run-dir.js';
import type {AgentClaim, EngineContext} from './context.js';
import type {EngineEvent} from './events.js';
import {runOracle, type OracleVerdict} from './oracle.js';
import {OracleTamper} from './oracle-tamper.js';
import {reapRunProcesses} from './orphans.js';
import {checkTheLedger, recordDone, watchTheLedger} from './record-done.js';
import {commitRunState} from './commit-run-state.js';
import {readySet, type SchedulableTicket} from './scheduler.js';
import {missingTickets, RunWatch, type HaltCause} from './run-watch.js';
import {attemptBudget, attemptsUsed, buildLedger, currentAttempt, ledgerStep, limitedUntil, mayStart, openAttempts, previousReasons, reviewRounds, type Ledger} from './ledger.js';
import {timerDelay} from '../lib/timer.js';
import {setTimeout as sleep} from 'node:timers/promises';

type Running = {attempt: number; locks: readonly string[]};

/** At most one live (non-final) oracle verdict per this many ms; the final verdict is never delayed. */
const LIVE_JUDGE_GAP_MS = 1000;
/**
 * A live verdict waits this long after the settlement that asked for it: the
 * settlement usually makes the next ticket ready, and its agent should start
 * before the oracle process (a node start, every ticket read, git) takes a
 * core of a small machine. Measured by `npm run bench -- pickup`.
 */
const LIVE_JUDGE_SETTLE_MS = 250;

/**
 * The spine: while the oracle would not say done, start every ready ticket and
 * wait for the next settlement. There is no timer: an attempt ending wakes the
 * loop at once, and the loop ends when nothing is running and nothing is ready.
 */
export class Engine {
	private tickets = new Map<string, Ticket>();
	private readonly running = new Map<string, Running>();
	private readonly resumeVerify = new Map<string, {attempt: number; sha: string}>();
	private readonly events: EngineEvent[];
	private wakeUp: (() => void) | undefined;
	private woken = false;
	private stopRequested = false;
	private paused = false;
	/** Tickets a human gated during this run: the engine does not touch them again. */
	private readonly gatedNow = new Set<string>();
	private judging: Promise<void> | undefined;
	private trackerProblem: string | undefined;
	/** Each batch ticket's status when this engine first read it (what a foreign write is measured against). */
	private readonly initialStatus = new Map<string, string>();
	private judgeAgain = false;
	/** Set when one harness error keeps ending attempts: dispatch stops until a heal changes the harness. */
	private harnessHalt: string | undefined;
	private readonly repeats: RepeatDetector;

	constructor(
		private readonly ctx: EngineContext,
		history: EngineEvent[],
	) {
		this.events = [...history];
		this.ledger = buildLedger(history, ctx.config.attempts);
		this.repeats = new RepeatDetector(ctx.config.selfHeal.repeatLimit);
		ctx.log.subscribe(event => {
			this.events.push(event);
			this.ledger = ledgerStep(this.ledger, event);
		});
		this.oracleTamper = new OracleTamper(ctx.manifest.oracle_sha256, ctx.log, () => this.wake());
	}

	/** Set when the oracle file stops matching the run's pin: nothing new starts, nothing merges. */
	private readonly oracleTamper: OracleTamper;

	/** Why nothing may merge now (asked by an attempt just before its merge). */
	get mergeHalt(): string | undefined {
		return this.oracleTamper.check() ?? this.watch?.checkGitControl();
	}
	private watch: RunWatch | undefined;

	private readonly chores = new Set<Promise<void>>();
	/** The one count of attempts (ledger.ts), kept current with the log. */
	private ledger: Ledger;

	/**
	 * Housekeeping that no ticket waits for (removing a done ticket's
	 * checkout): off the dispatch path, finished before the run ends, and a
	 * failure is a warning, never the ticket's.
	 */
	chore(what: string, work: Promise<unknown>): void {
		const tracked: Promise<void> = work
			.then(() => undefined)
			.catch((error: unknown) => {
				this.ctx.log.append({type: 'warning', message: `${what} failed: ${(error as Error).message}`});
			})
			.finally(() => this.chores.delete(tracked));
		this.chores.add(tracked);
	}

	/** Whether a write to this ticket is still the engine's to make (not after a human gated it). */
	owns(id: string): boolean {
		return !this.gatedNow.has(id);
	}

	/** Why the run halted short (base moved by someone else, the tracker broken past its grace, the config changed). */
	halted: HaltCause | undefined;

	/** Stop at once for a cause a person must look at; the message is logged (run.halted) before the run ends. */
	halt(cause: HaltCause, message: string | Promise<string>): void {
		if (this.halted) return;
		this.halted = cause;
		this.requestStop();
		this.chore('recording why the run halted', Promise.resolve(message).then(text => this.ctx.log.append({type: 'run.halted', cause, message: text})));
	}

	/** Stop dispatching and end running attempts as interrupted (they do not count). */
	requestStop(): void {
		this.stopRequested = true;
		reapRunProcesses(this.ctx.run.id);
		this.wake();
	}

	get stopping(): boolean {
		return this.stopRequested;
	}

	get isPaused(): boolean {
		return this.paused;
	}

	/** Human controls. Each is an intervention in the ledger; none can mark anything done. */
	async pause(by: string): Promise<string> {
		if (this.paused) return 'already paused';
		this.paused = true;
		this.ctx.log.append({type: 'intervention', kind: 'pause', by});
		return `paused: no new attempts start; ${this.running.size} running attempt(s) finish`;
	}

	async resume(by: string): Promise<string> {
		if (!this.paused) return 'not paused';
		this.paused = false;
		this.ctx.log.append({type: 'intervention', kind: 'resume', by});
		this.wake();
		return 'resumed';
	}

	async stop(by: string): Promise<string> {
		this.ctx.log.append({type: 'intervention', kind: 'stop', by});
		this.requestStop();
		return 'stopping: running attempts are interrupted and redone on resume';
	}

	async gate(id: string, reason: string, by: string): Promise<string> {
		const ticket = this.tickets.get(id);
		if (!ticket || !this.batch().some(t => t.id === id)) throw new Error(`no ticket ${id} in batch '${this.ctx.manifest.batch}'`);
		if (ticket.status === 'done') throw new Error(`${id} is already done`);
		if (ticket.status === 'human_gated') return `${id} is already human-gated`;
		this.gatedNow.add(id);
		this.ctx.log.append({type: 'intervention', kind: 'gate', by, ticket: id, reason});
		await this.ctx.writeTicket(id, 'human_gated', {status: 'human_gated', gate: {by, at: new Date().toISOString(), reason}}, `gated by ${by}: ${reason}`);
		const killed = this.running.has(id) ? reapRunProcesses(this.ctx.run.id, id) : [];
		await this.refresh();
		this.wake();
		this.scheduleJudge();
		return killed.length > 0 ? `${id} gated; its running attempt was stopped` : `${id} gated`;
	}

	/** The batch as clients draw it. */
	publishTickets(): void {
		this.ctx.log.append({
			type: 'run.tickets',
			tickets: this.batch().map(t => ({id: t.id, title: t.title, status: t.status, deps: t.deps, locks: t.locks, priority: t.priority})),
		});
	}

	/** Reconcile a resumed run with what survived the crash, before any dispatch. */
	async recover(): Promise<void> {
		const {ctx} = this;
		const reaped = reapRunProcesses(ctx.run.id);
		if (reaped.length > 0) ctx.log.append({type: 'warning', message: `killed ${reaped.length} process(es) left by the previous engine: ${reaped.join(', ')}`});

		// Redo tracker writes a crash may have cut off: the event came first. A
		// ticket.done logged after the ticket's last status write is the truth.
		const lastWrite = new Map<string, Extract<EngineEvent, {type: 'ticket.status'}>>();
		const doneAfter = new Map<string, Extract<EngineEvent, {type: 'ticket.done'}>>();
		for (const event of this.events) {
			if (event.type === 'ticket.status') {
				lastWrite.set(event.ticket, event);
				doneAfter.delete(event.ticket);
			}
			if (event.type === 'ticket.done') doneAfter.set(event.ticket, event);
		}
		this.tickets = new Map((await ctx.tracker.load()).map(t => [t.id, t]));
		for (const [id, event] of lastWrite) {
			const ticket = this.tickets.get(id);
			if (ticket && ticket.status !== event.status && !doneAfter.has(id)) await ctx.tracker.update(id, event.fields);
		}
		for (const [id, done] of doneAfter) {
			await recordDone(ctx, {ticket: id, attempt: done.attempt, merge: done.mergeCommit, digest: done.verifyDigest});
			await ctx.writeTicket(id, 'done', {status: 'done', merge_commit: done.mergeCommit, verify_digest: `sha256:${done.verifyDigest}`, done_at: done.at}, 'done (recorded before a crash)');
		}
		await this.reconcileFilings();

		for (const open of this.openAttempts()) {
			const {ticket: id, attempt} = open;
			let sha = this.findEvent('merge.done', id, attempt)?.sha;
			if (!sha && this.findEvent('merge.intent', id, attempt)) {
				// The merge may have landed just before the crash: the trailer on base says so, exactly once.
				sha = await ctx.repo.findMerge(id, attempt, ctx.config.base);
				if (sha) {
					// The crash may have come between the ref update and the checkout sync.
					const parent = await ctx.repo.revParse(`${sha}^1`);
					const warnings = parent ? await ctx.repo.syncCheckouts(ctx.config.base, parent, sha) : [];
					ctx.log.append({type: 'merge.done', ticket: id, attempt, sha, warnings});
					for (const message of warnings) ctx.log.append({type: 'warning', ticket: id, message});
					await ctx.writeTicket(id, 'merged', {status: 'merged', merge_commit: sha}, 'merge found on base after a restart');
				}
			}
			if (sha) {
				this.resumeVerify.set(id, {attempt, sha});
			} else {
				ctx.log.append({type: 'attempt.interrupted', ticket: id, attempt, reason: 'the engine stopped mid-attempt; the attempt is not counted'});
			}
		}
		await this.refresh();
		for (const ticket of this.batch()) {
			if (ticket.status === 'in_progress' && !this.resumeVerify.has(ticket.id)) {
				await ctx.writeTicket(ticket.id, 'todo', {status: 'todo', attempts: this.attemptsUsed(ticket.id)}, 'resumed after an interrupted attempt');
			}
			if (ticket.status === 'done') await ctx.repo.removeWorktree(ticket.id);
		}
	}

	/** Run until nothing is running and nothing is ready; then ask the oracle. */
	async run(): Promise<OracleVerdict> {
		const watch = (this.watch = new RunWatch(this.ctx, {halt: (cause, message) => this.halt(cause, message), wake: () => this.wake()}));
		try {
			await watch.start(this.events);
			await watchTheLedger(this.ctx);
			await this.refresh();
			this.publishTickets();
			this.scheduleJudge();
			for (;;) {
				await this.loop();
				if (this.stopRequested) break;
				// About to stop: if the oracle is not at 0, a healer may fix the harness (never the verifier).
				await this.judging;
				const verdict = await this.judge(false);
				if (verdict.exit === 0 || !(await this.tryHeal(verdict))) break;
			}
		} catch (error) {
			// Never leave attempts running (and merging) behind an engine that is giving up.
			this.ctx.log.append({type: 'warning', fatal: true, message: `the engine hit an error and stops: ${(error as Error).message}`});
			this.requestStop();
			this.oracleTamper.close();
			while (this.running.size > 0) await this.nextSettlement();
			await Promise.all(this.chores);
			throw error;
		} finally {
			watch.stop();
		}
		this.trackerWatch?.close();
		this.oracleTamper.close();
		for (const timer of this.wakeTimers.values()) clearTimeout(timer);
		while (this.running.size > 0) await this.nextSettlement();
		await Promise.all(this.chores);
		await this.judging;
		// Whatever a check or an agent left running dies with the run.
		reapRunProcesses(this.ctx.run.id);
		await checkTheLedger(this.ctx);
		await commitRunState(this.ctx, this.events);
		return this.judge(true);
	}

	/** Dispatch until nothing runs and nothing is ready (or a stop). */
	private async loop(): Promise<void> {
		for (;;) {
			if (this.stopRequested) return;
			await this.refresh();
			const halted = this.harnessHalt ?? this.oracleTamper.check();
			if (!this.paused && !this.trackerProblem && !halted) this.dispatch();
			// Halted on a repeating harness error or a changed oracle: let the running attempts finish, then stop.
			if (this.running.size === 0 && halted) return;
			// Paused, waiting for a broken ticket file to be fixed, or for a usage limit to lift,
			// with nothing running: wait (for resume, a fix, the reset, or stop); do not end the run.
			if (this.running.size === 0 && !this.paused && !this.trackerProblem && this.wakeTimers.size === 0) return;
			this.watchTrackerWhileBroken();
			await this.nextSettlement();
		}
	}

	private healsDone(): number {
		return this.events.filter(e => e.type === 'heal.result').length;
	}

	private attemptBudget(id: string): number {
		return attemptBudget(this.ledger, id, this.ctx.config.attempts);
	}

	/** The ledger's view of a ticket's attempts: charged, the current (or next) number, the budget. */
	attemptsView(id: string): {used: number; current: number; budget: number} {
		return {used: this.attemptsUsed(id), current: currentAttempt(this.ledger, id), budget: this.attemptBudget(id)};
	}

	/** The ticket's attempt budget in this run (what prompts and labels say). */
	budgetOf(id: string): number {
		return this.attemptBudget(id);
	}

	/** Why the run stops short of the oracle's exit 0 (written to the run's stop-report.md). */
	stopReport(verdict: OracleVerdict): string {
		return stopReport(this.ctx, verdict, this.events);
	}

	/** One heal, if any is left and a healer exists; true when it was applied and the loop goes on. */
	private async tryHeal(verdict: OracleVerdict): Promise<boolean> {
		const {ctx} = this;
		const heal = this.healsDone() + 1;
		const healerConfig = ctx.config.selfHeal.healer ?? (ctx.config.agent?.type === 'demo' ? undefined : ctx.config.agent);
		if (heal > ctx.config.selfHeal.max || !healerConfig || this.budgets?.exhausted) return false;
		// A blocked ticket or a human gate waits for a human, not for a healer.
		if (verdict.exit === 2 || verdict.tickets.every(t => t.passing || t.status === 'blocked')) return false;
		const report = stopReport(ctx, verdict, this.events);
		ctx.log.append({type: 'heal.started', heal, report});
		let outcome: HealOutcome;
		try {
			outcome = await runHeal(ctx, createAdapter(healerConfig), heal, report);
		} catch (error) {
			outcome = {outcome: 'failed', reason: `proofloop error during the heal: ${(error as Error).message}`, files: [], diff: ''};
		}
		ctx.log.append({type: 'heal.result', heal, ...outcome});
		if (outcome.outcome !== 'applied') return false;
		// The heal changed the harness: the old streak says nothing about the new one, and
		// every ticket it failed gets one more attempt.
		this.harnessHalt = undefined;
		this.repeats.reset();
		await this.refresh();
		for (const ticket of this.batch()) {
			const used = this.attemptsUsed(ticket.id);
			const stuck = ticket.status === 'failed' || ((ticket.status === 'merged' || ticket.status === 'todo') && used >= this.attemptBudget(ticket.id));
			if (!stuck) continue;
			// Budget = what it used + 1: exactly one more attempt (logged, so a resume keeps it).
			ctx.log.append({type: 'attempt.budget', ticket: ticket.id, budget: used + 1, reason: `one more attempt after heal ${heal}`});
			if (ticket.status === 'failed') await ctx.writeTicket(ticket.id, 'todo', {status: 'todo'}, `one more attempt after heal ${heal}`);
		}
		return true;
	}

	/**
	 * Keep the oracle bar current: ask the oracle again after a settlement,
	 * never two at once (one more run is queued if asked while judging).
	 */
	private scheduleJudge(): void {
		if (this.judging) {
			this.judgeAgain = true;
			return;
		}
		this.judging = (async () => {
			await sleep(LIVE_JUDGE_SETTLE_MS);
			do {
				const began = Date.now();
				this.judgeAgain = false;
				await this.judge(false).catch(() => undefined);
				// The live bar need not be fresher than this: back to back, the oracle (a process
				// that reads every ticket and git) would keep a core busy while agents wait for it.
				const rest = LIVE_JUDGE_GAP_MS - (Date.now() - began);
				if (this.judgeAgain && rest > 0 && !this.stopRequested) await sleep(rest);
			} while (this.judgeAgain && !this.stopRequested);
			this.judging = undefined;
		})();
	}

	async judge(final: boolean): Promise<OracleVerdict> {
		// The oracle asked must be the oracle pinned: the bytes checked are the bytes run.
		const oracle = this.oracleTamper.read();
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

	private batch(): Ticket[] {
		// Membership only grows: the pinned ids plus whatever carries the batch name now.
		const pinned = new Set(this.ctx.manifest.ticket_ids);
		return [...this.tickets.values()].filter(t => t.batch === this.ctx.manifest.batch || pinned.has(t.id));
	}

	/**
	 * Re-read the tracker. A ticket a human is mid-way editing (invalid for a
	 * moment) must not kill the run: keep the last good snapshot, say so once,
	 * and start nothing new until it reads clean again.
	 */
	private async refresh(): Promise<void> {
		let loaded: Ticket[];
		const writesBefore = new Map(this.ctx.ticketWrites);
		try {
			loaded = await this.ctx.tracker.load();
		} catch (error) {
			const message = `the tracker does not read cleanly; no new attempts start until it does:\n${(error as Error).message}`;
			if (message !== this.trackerProblem) this.ctx.log.append({type: 'warning', message});
			this.trackerProblem = message;
			return;
		}
		// A pinned ticket that vanished is a broken tracker too: keep the last good snapshot and wait (run-watch.ts gives it a grace period).
		const gone = missingTickets(this.ctx.manifest.ticket_ids, loaded, id => this.tickets.get(id)?.file, this.ctx.config.tracker.dir);
		if (gone) {
			const message = `the tracker does not read cleanly; no new attempts start until it does:\n${gone}`;
			if (message !== this.trackerProblem) this.ctx.log.append({type: 'warning', message});
			this.trackerProblem = message;
			return;
		}
		if (this.trackerProblem) this.ctx.log.append({type: 'warning', message: 'the tracker reads cleanly again'});
		this.trackerProblem = undefined;
		this.tickets = new Map(loaded.map(t => [t.id, t]));
		for (const ticket of this.batch()) if (!this.initialStatus.has(ticket.id)) this.initialStatus.set(ticket.id, ticket.status);
		await this.revertForeignWrites(writesBefore);
	}

	private trackerWatch: FSWatcher | undefined;

	/** While the tracker is broken, a change to its files wakes the loop (no polling). */
	private watchTrackerWhileBroken(): void {
		if (this.trackerProblem && !this.trackerWatch) {
			this.trackerWatch = watch(path.join(this.ctx.repoRoot, this.ctx.config.tracker.dir), () => this.wake());
		} else if (!this.trackerProblem && this.trackerWatch) {
			this.trackerWatch.close();
			this.trackerWatch = undefined;
		}
	}

	/**
	 * During a run the engine is the only writer of a ticket's status. A status
	 * that claims progress the engine never recorded (an agent writing the main
	 * checkout's tracker, say) is put back, and said out loud.
	 */
	private async revertForeignWrites(writesBefore: Map<string, number>): Promise<void> {
		const claims = new Set(['done', 'merged', 'human_gated']);
		const lastWritten = new Map<string, Extract<EngineEvent, {type: 'ticket.status'}>>();
		for (const event of this.events) if (event.type === 'ticket.status') lastWritten.set(event.ticket, event);
		for (const ticket of this.batch()) {
			// Our own write raced the read (the event is logged, the file may be older): not foreign; the next read judges it.
			const writes = this.ctx.ticketWrites.get(ticket.id) ?? 0;
			if (writes % 2 === 1 || writes !== (writesBefore.get(ticket.id) ?? 0)) continue;
			const ours = lastWritten.get(ticket.id);
			const expected = ours?.status ?? this.initialStatus.get(ticket.id);
			if (expected === undefined || ticket.status === expected || !claims.has(ticket.status)) continue;
			this.ctx.log.append({type: 'warning', ticket: ticket.id, message: `${ticket.file} says status ${ticket.status}, which the engine never wrote: put back to ${expected}`});
			const fields: TicketUpdate = {status: expected as TicketUpdate['status'], ...(ours ? {} : {merge_commit: undefined, verify_digest: undefined, gate: undefined})};
			await this.ctx.tracker.update(ticket.id, fields, this.ctx.completeOwned?.(ticket.id, fields));
			this.tickets.set(ticket.id, {...ticket, status: expected as Ticket['status']});
		}
	}

	/** Attempts charged against the budget (ledger.ts): an interrupted, parked or limited one is not. */
	private attemptsUsed(id: string): number {
		return attemptsUsed(this.ledger, id);
	}

	/** Review verdicts this ticket has had in this run (capped by reviewRounds). */
	reviewRounds(id: string): number {
		return reviewRounds(this.ledger, id);
	}

	/**
	 * The next attempt's number: charged attempts + 1, so it never exceeds the budget. An
	 * interrupted attempt's number is used again; its log gets the redo appended.
	 */
	private nextAttemptNumber(id: string): number {
		return currentAttempt(this.ledger, id);
	}

	private openAttempts(): Array<{ticket: string; attempt: number}> {
		return openAttempts(this.ledger);
	}

	private findEvent<T extends 'merge.done' | 'merge.intent'>(type: T, ticket: string, attempt: number): Extract<EngineEvent, {type: T}> | undefined {
		// The last: an interrupted attempt's number is used again by the next one.
		return this.events.findLast((e): e is Extract<EngineEvent, {type: T}> => e.type === type && 'ticket' in e && e.ticket === ticket && e.attempt === attempt);
	}

	/** What previous attempts of this ticket left for the next fresh worker. */
	private previousReasons(id: string): string[] {
		return previousReasons(this.events, id);
	}

	// ---- what workers say through `proofloop ticket` ----

	private readonly claims = new Map<string, AgentClaim>();

	/** Read once when the worker exits: what it claimed during its run. */
	claimAfterAgent(id: string, attempt: number): AgentClaim | undefined {
		const key = `${id}#${attempt}`;
		const claim = this.claims.get(key);
		this.claims.delete(key);
		return claim;
	}

	private runningAttempt(id: string): number {
		const running = this.running.get(id);
		if (!running) throw new Error(`${id} has no attempt running: \`proofloop ticket\` is for the worker of a running ticket`);
		return running.attempt;
	}

	/** A worker files discovered work: it joins the batch (membership only grows), optionally blocking a ticket. */
	async file(request: FileRequest): Promise<string> {
		const {ctx} = this;
		await this.refresh();
		const capped = filingCap(this.events.filter(e => e.type === 'ticket.filed').length, ctx.config.maxFiledTickets);
		if (capped && !this.events.some(e => e.type === 'warning' && e.message === capped.warning)) ctx.log.append({type: 'warning', ticket: request.from, message: capped.warning});
		if (capped) throw new Error(capped.refusal);
		const newId = nextTicketId(request.from, this.tickets.keys());
		const problem = checkFiling({
			request,
			newId,
			tickets: this.tickets,
			inBatch: id => this.batch().some(t => t.id === id),
			declaredLocks: ctx.config.locks,
		});
		if (problem) throw new Error(problem);
		// Validate the new file fully before anything is written: a refusal leaves the tracker byte for byte.
		const prepared = await ctx.tracker.prepareCreate({
			id: newId,
			title: request.title,
			batch: ctx.manifest.batch,
			deps: request.deps,
			locks: request.locks,
			discovered_from: request.from,
			filed_by_run: ctx.run.id,
			body: request.body,
		});
		ctx.log.append({type: 'ticket.filed', ticket: newId, from: request.from, title: request.title, file: prepared.file, ...(request.blocks ? {blocks: request.blocks} : {})});
		await ctx.tracker.create(prepared);
		ctx.manifest.ticket_ids = [...new Set([...ctx.manifest.ticket_ids, newId])];
		writeManifest(ctx.run, ctx.manifest);
		if (request.blocks !== undefined) {
			const blocked = this.tickets.get(request.blocks);
			if (blocked) await ctx.writeTicket(blocked.id, blocked.status, {deps: [...blocked.deps, newId]}, `now waits on ${newId}`);
			const attempt = this.running.get(request.blocks)?.attempt;
			if (attempt !== undefined) {
				this.claims.set(`${request.blocks}#${attempt}`, {kind: 'parked', reason: `it filed ${newId} (${request.title}) as a blocker; it resumes on its branch once ${newId} is done`});
			}
		}
		ctx.log.append({type: 'ticket.filing.done', ticket: newId});
		await this.refresh();
		this.publishTickets();
		this.wake();
		return `filed ${newId}${request.blocks ? `; ${request.blocks} now waits on it` : ''}`;
	}

	/**
	 * A filing is three writes after its event (the ticket file, the manifest,
	 * the blocker edge); a crash can cut it anywhere. Finish what the event
	 * promised: membership only grows, and a worker that said `--blocks` on its
	 * own ticket must not see it dispatched before the blocker is done.
	 */
	private async reconcileFilings(): Promise<void> {
		const {ctx} = this;
		const finished = new Set(this.events.flatMap(e => (e.type === 'ticket.filing.done' ? [e.ticket] : [])));
		for (const event of [...this.events]) {
			// Finished before the crash: whatever differs now (an edge a human removed) is not ours to put back.
			if (event.type !== 'ticket.filed' || finished.has(event.ticket)) continue;
			const filed = this.tickets.get(event.ticket);
			if (!filed) {
				ctx.log.append({type: 'warning', ticket: event.from, message: `${event.from}'s filing of ${event.ticket} (${event.title}) was cut by a crash before its file was written; its next attempt may file it again`});
				ctx.log.append({type: 'ticket.filing.done', ticket: event.ticket});
				continue;
			}
			if (!ctx.manifest.ticket_ids.includes(filed.id)) {
				ctx.manifest.ticket_ids = [...ctx.manifest.ticket_ids, filed.id];
				writeManifest(ctx.run, ctx.manifest);
			}
			const blocked = event.blocks === undefined ? undefined : this.tickets.get(event.blocks);
			if (blocked && !blocked.deps.includes(filed.id) && filed.status !== 'done') {
				await ctx.writeTicket(blocked.id, blocked.status, {deps: [...blocked.deps, filed.id]}, `now waits on ${filed.id} (a filing finished after a restart)`);
			}
			ctx.log.append({type: 'ticket.filing.done', ticket: filed.id});
		}
	}

	async note(id: string, text: string): Promise<string> {
		const attempt = this.running.get(id)?.attempt;
		this.ctx.log.append({type: 'ticket.note', ticket: id, text, ...(attempt === undefined ? {} : {attempt})});
		return 'noted for later attempts';
	}

	/** A blocked claim: it stands only with a wall, evidence and what was tried, and not on a first attempt (configurable). */
	async blocked(request: Extract<ControlRequest, {type: 'blocked'}>): Promise<string> {
		const attempt = this.runningAttempt(request.from);
		const challenged = this.ctx.config.challengeFirstBlock && attempt <= 1;
		const evidenceFile = path.join(this.ctx.run.dir, 'evidence', `${request.from}-${attempt}.txt`);
		mkdirSync(path.dirname(evidenceFile), {recursive: true});
		writeFileSync(evidenceFile, request.evidence);
		this.ctx.log.append({type: 'ticket.blocked', ticket: request.from, attempt, wall: request.wall, evidence: request.evidence, tried: request.tried, challenged});
		const evidence = path.relative(this.ctx.repoRoot, evidenceFile);
		this.claims.set(
			`${request.from}#${attempt}`,
			challenged
				? {kind: 'challenged', reason: `this attempt claimed an external wall (${request.wall}; tried: ${request.tried}). A first claim is challenged: look for another path before calling it blocked. Evidence it gave: ${evidence}`}
				: {kind: 'blocked', wall: request.wall, tried: request.tried, evidence},
		);
		return challenged
			? 'recorded; on a first attempt a blocked claim is challenged: the next fresh attempt is asked to find another path'
			: 'recorded: the ticket is marked blocked when you exit';
	}

	async ungate(id: string, by: string): Promise<string> {
		const ticket = this.tickets.get(id);
		if (!ticket || ticket.status !== 'human_gated') throw new Error(`${id} is not human-gated`);
		this.gatedNow.delete(id);
		this.ctx.log.append({type: 'intervention', kind: 'ungate', by, ticket: id});
		await this.ctx.writeTicket(id, 'todo', {status: 'todo', gate: undefined}, `ungated by ${by}`);
		await this.refresh();
		this.wake();
		this.scheduleJudge();
		return `${id} is no longer gated; it runs again`;
	}

	/** Tickets a retry or reset is working on: not dispatched until it is done. */
	private readonly resetting = new Set<string>();

	/** `proofloop retry` / `reset` with a live engine: an intervention; todo with a fresh budget (ledger.ts). */
	async retryTicket(verb: HumanTicketVerb, id: string, reason: string, by: string): Promise<string> {
		await this.refresh();
		const problem = refusal(verb, this.batch().find(t => t.id === id), id, this.running.has(id) || this.resetting.has(id));
		if (problem) throw new Error(problem);
		this.resetting.add(id);
		try {
			this.ctx.log.append({type: 'intervention', kind: verb, by, ticket: id, reason});
			if (verb === 'reset') await this.ctx.repo.removeWorktree(id);
			await this.ctx.writeTicket(id, 'todo', backToTodo, `${verb} by ${by}: ${reason}`);
		} finally {
			this.resetting.delete(id);
		}
		await this.refresh();
		this.wake();
		this.scheduleJudge();
		return verbMessage(verb, id);
	}

	/** What the agents of this run have reported spending, in USD. */
	spentUsd(): number {
		return this.ledger.usage.costUsd;
	}

	private budgets?: RunBudgets;

	private dispatch(): void {
		const {ctx} = this;
		if ((this.budgets ??= new RunBudgets(ctx.config, e => ctx.log.append(e), this.events)).spent(this.spentUsd())) return;
		const heldLocks = new Set([...this.running.values()].flatMap(r => r.locks));
		const schedulable = (t: Ticket): SchedulableTicket => ({id: t.id, status: t.status, deps: t.deps, locks: t.locks, priority: t.priority});
		const ready = readySet({
			tickets: this.batch().map(schedulable),
			statusOf: id => this.tickets.get(id)?.status,
			running: new Set(this.running.keys()),
			heldLocks,
			slots: ctx.config.concurrency - this.running.size,
			dispatchable: t =>
				this.resumeVerify.has(t.id) ||
				(!this.resetting.has(t.id) && (mayStart(this.ledger, t.id, t.status, this.ctx.config.attempts) && !this.limitedNow(t.id))),
		});
		for (const picked of ready) {
			const ticket = this.tickets.get(picked.id);
			if (ticket) this.start(ticket);
		}
	}

	private start(ticket: Ticket): void {
		const {ctx} = this;
		const resume = this.resumeVerify.get(ticket.id);
		this.resumeVerify.delete(ticket.id);
		const attempt = resume ? resume.attempt : this.nextAttemptNumber(ticket.id);
		this.running.set(ticket.id, {attempt, locks: ticket.locks});
		// A claim an interrupted attempt of the same number left (a gate cut it) is not this one's.
		if (!resume) this.claims.delete(`${ticket.id}#${attempt}`);
		const job = (async (): Promise<void> => {
			let marked: Promise<void> = Promise.resolve();
			if (!resume) {
				const budget = this.attemptBudget(ticket.id);
				ctx.log.append({type: 'attempt.started', ticket: ticket.id, attempt, maxAttempts: budget, agent: ctx.adapter.name, worktree: ctx.repo.worktreePath(ticket.id)});
				// The status write and the worktree are independent: do not make the agent wait for the file.
				// (Tracker writes are queued, so the attempt's later writes still land after this one.)
				marked = ctx.writeTicket(ticket.id, 'in_progress', {status: 'in_progress', attempts: attempt}, `attempt ${attempt}/${budget}`);
			}
			// A fresh branch from the newest base; an earlier attempt's work is kept as a diff the prompt points to.
			const fresh = resume ? [] : await startFresh(ctx, ticket.id, this.events);
			const outcome = await runAttempt(ctx, ticket, attempt, [...this.previousReasons(ticket.id), ...fresh], resume ? {mergeSha: resume.sha} : undefined);
			await marked;
			await this.settle(ticket, attempt, outcome);
		})();
		job
			.catch(error => {
				ctx.log.append({type: 'warning', ticket: ticket.id, message: `attempt ${attempt} crashed inside proofloop: ${(error as Error).stack ?? String(error)}`});
			})
			.finally(() => {
				this.running.delete(ticket.id);
				this.wake();
			});
	}

	private async settle(ticket: Ticket, attempt: number, outcome: AttemptOutcome): Promise<void> {
		const {ctx} = this;
		this.scheduleJudge();
		if (outcome.kind === 'done') return;
		if (outcome.kind === 'interrupted' && outcome.afterMerge) {
			// The merge landed: the attempt stays open so a resume continues it at verify.
			return;
		}
		if (outcome.kind === 'interrupted' || this.gatedNow.has(ticket.id)) {
			const reason = outcome.kind === 'interrupted' ? outcome.reason : 'a human gated the ticket during the attempt';
			ctx.log.append({type: 'attempt.interrupted', ticket: ticket.id, attempt, reason});
			if (outcome.kind === 'interrupted' && outcome.halt) await this.haltCannotStart(ticket.id, reason);
			return;
		}
		if (outcome.kind === 'limited') {
			ctx.log.append({type: 'attempt.limited', ticket: ticket.id, attempt, until: new Date(outcome.until).toISOString(), reason: outcome.reason});
			await ctx.writeTicket(ticket.id, 'todo', {status: 'todo'}, `waits for a usage limit to lift (${new Date(outcome.until).toISOString()})`);
			this.wakeAt(outcome.until);
			return;
		}
		if (outcome.kind === 'parked') {
			ctx.log.append({type: 'attempt.parked', ticket: ticket.id, attempt, reason: outcome.reason});
			await ctx.writeTicket(ticket.id, 'todo', {status: 'todo'}, outcome.reason);
			return;
		}
		if (outcome.kind === 'blocked') {
			ctx.log.append({type: 'attempt.failed', ticket: ticket.id, attempt, stage: 'implement', reason: `blocked by an external wall: ${outcome.wall}`});
			const block = {wall: outcome.wall, tried: outcome.tried, evidence: outcome.evidence, at: new Date().toISOString()};
			await ctx.writeTicket(ticket.id, 'blocked', {status: 'blocked', block}, `blocked: ${outcome.wall}`);
			return;
		}
		ctx.log.append({type: 'attempt.failed', ticket: ticket.id, attempt, stage: outcome.stage, reason: outcome.reason});
		const repeated = this.repeats.add(ticket.id, outcome.stage, outcome.reason);
		if (repeated && !this.harnessHalt) {
			this.harnessHalt = repeated.signature;
			ctx.log.append({type: 'harness.repeated', ...repeated});
			ctx.log.append({
				type: 'warning',
				message: `the same harness error ended ${repeated.count} attempts in a row (${repeated.tickets.join(', ')}): "${repeated.signature}"; no new attempts start until the harness is fixed (a heal, or you: fix it, then \`proofloop run\` resumes)`,
			});
		}
		const reviewsSpent = outcome.stage === 'review' && this.reviewRounds(ticket.id) >= ctx.config.reviewRounds;
		const exhausted = this.attemptsUsed(ticket.id) >= this.attemptBudget(ticket.id) || reviewsSpent;
		// Merged-but-unverified stays `merged` (not done, not failed): the activation gap is visible as such.
		const status = outcome.merged ? 'merged' : exhausted ? 'failed' : 'todo';
		const summary = outcome.reason.split('\n')[0] ?? outcome.reason;
		await ctx.writeTicket(ticket.id, status, {status, failure: `attempt ${attempt} (${outcome.stage}): ${summary}`}, exhausted ? `out of attempts: ${summary}` : summary);
	}

	/** A program that could not start: no new attempt starts (the ticket keeps its budget), and the fix is said. */
	private async haltCannotStart(id: string, reason: string): Promise<void> {
		if (!this.harnessHalt) {
			this.harnessHalt = reason;
			this.ctx.log.append({type: 'warning', ticket: id, message: `${reason}; no new attempts start; ${cannotStartFix}`});
		}
		await this.ctx.writeTicket(id, 'todo', {status: 'todo', attempts: this.attemptsUsed(id)}, `${reason} (not charged)`);
	}

	/** Whether a usage limit still holds this ticket back (from the log, so it survives a restart). */
	private limitedNow(id: string): boolean {
		const until = limitedUntil(this.ledger, id, Date.now());
		if (until === undefined) return false;
		this.wakeAt(until);
		return true;
	}

	private readonly wakeTimers = new Map<number, NodeJS.Timeout>();

	/** One timer per reset instant: the loop wakes when a limit lifts (a timer, not a poll). */
	private wakeAt(until: number): void {
		if (this.wakeTimers.has(until)) return;
		const timer = setTimeout(() => {
			this.wakeTimers.delete(until);
			this.wake();
		}, timerDelay(until - Date.now() + 10));
		this.wakeTimers.set(until, timer);
	}

	private wake(): void {
		this.woken = true;
		const resolve = this.wakeUp;
		this.wakeUp = undefined;
		resolve?.();
	}

	private async nextSettlement(): Promise<void> {
		// A settlement between dispatch and this wait must not be lost: `woken` remembers it.
		if (this.woken) {
			this.woken = false;
			return;
		}
		await new Promise<void>(resolve => {
			this.wakeUp = resolve;
		});
		this.woken = false;
	}
}
