import {mkdirSync, writeFileSync} from 'node:fs';
import path from 'node:path';
import type {ControlRequest} from './control.js';
import type {EngineCore} from './engine-state.js';
import {reapRunProcesses} from '../process/orphans.js';
import {backToTodo, refusal, verbMessage, type HumanTicketVerb} from './retry-reset.js';

/**
 * What a human (the control socket) and a worker (`proofloop ticket note|blocked`)
 * may do to a live run. Each is an intervention in the log; none can mark anything done.
 */
export class HumanControls {
	constructor(private readonly engine: EngineCore) {}

	async pause(by: string): Promise<string> {
		const {ctx, state} = this.engine;
		if (state.paused) return 'already paused';
		state.paused = true;
		ctx.log.append({type: 'intervention', kind: 'pause', by});
		return `paused: no new attempts start; ${state.running.size} running attempt(s) finish`;
	}

	async resume(by: string): Promise<string> {
		const {ctx, state} = this.engine;
		if (!state.paused) return 'not paused';
		state.paused = false;
		ctx.log.append({type: 'intervention', kind: 'resume', by});
		this.engine.wake();
		return 'resumed';
	}

	async stop(by: string): Promise<string> {
		this.engine.ctx.log.append({type: 'intervention', kind: 'stop', by});
		this.engine.requestStop();
		return 'stopping: running attempts are interrupted and redone on resume';
	}

	async gate(id: string, reason: string, by: string): Promise<string> {
		const {ctx, state, view} = this.engine;
		const ticket = view.tickets.get(id);
		if (!ticket || !view.inBatch(id)) throw new Error(`no ticket ${id} in batch '${ctx.manifest.batch}'`);
		if (ticket.status === 'done') throw new Error(`${id} is already done`);
		// A gated file without the ledger's gate (written by hand, or before gates were recorded) is gated again: that records it.
		if (ticket.status === 'human_gated' && (await ctx.repo.latestGate(id))?.kind === 'gate') return `${id} is already human-gated`;
		const at = new Date(ctx.now()).toISOString();
		// The ledger first: the oracle's evidence for the gate, written before the file claims it.
		await ctx.repo.recordGate({kind: 'gate', ticket: id, by, reason, at, run: ctx.run.id});
		ctx.tickets.gated(id);
		ctx.log.append({type: 'intervention', kind: 'gate', by, ticket: id, reason});
		await ctx.tickets.write(id, 'human_gated', {status: 'human_gated', gate: {by, at, reason}}, `gated by ${by}: ${reason}`);
		const killed = state.running.has(id) ? reapRunProcesses(ctx.run.id, id) : [];
		await this.changed(id);
		return killed.length > 0 ? `${id} gated; its running attempt was stopped` : `${id} gated`;
	}

	async ungate(id: string, by: string): Promise<string> {
		const {ctx, view} = this.engine;
		const ticket = view.tickets.get(id);
		if (!ticket || ticket.status !== 'human_gated') throw new Error(`${id} is not human-gated`);
		await ctx.repo.recordGate({kind: 'ungate', ticket: id, by, at: new Date(ctx.now()).toISOString(), run: ctx.run.id});
		ctx.tickets.ungated(id);
		ctx.log.append({type: 'intervention', kind: 'ungate', by, ticket: id});
		await ctx.tickets.write(id, 'todo', {status: 'todo', gate: undefined}, `ungated by ${by}`);
		await this.changed(id);
		return `${id} is no longer gated; it runs again`;
	}

	/** `proofloop retry` / `reset` with a live engine: an intervention; todo with a fresh budget (ledger.ts). */
	async retryTicket(verb: HumanTicketVerb, id: string, reason: string, by: string): Promise<string> {
		const {ctx, state, view} = this.engine;
		await view.refresh();
		const problem = refusal(
			verb,
			view.batch().find(t => t.id === id),
			id,
			state.running.has(id) || state.resetting.has(id),
		);
		if (problem) throw new Error(problem);
		state.resetting.add(id);
		try {
			ctx.log.append({type: 'intervention', kind: verb, by, ticket: id, reason});
			if (verb === 'reset') await ctx.repo.removeWorktree(id);
			await ctx.tickets.write(id, 'todo', backToTodo, `${verb} by ${by}: ${reason}`);
		} finally {
			state.resetting.delete(id);
		}
		await this.changed(id);
		return verbMessage(verb, id);
	}

	/** A worker's note for later attempts of its ticket. */
	async note(id: string, text: string): Promise<string> {
		const attempt = this.engine.state.running.get(id)?.attempt;
		this.engine.ctx.log.append({type: 'ticket.note', ticket: id, text, ...(attempt === undefined ? {} : {attempt})});
		await this.engine.ctx.log.durable();
		return 'noted for later attempts';
	}

	/** A blocked claim: it stands only with a wall, evidence and what was tried, and not on a first attempt (configurable). */
	async blocked(request: Extract<ControlRequest, {type: 'blocked'}>): Promise<string> {
		const {ctx, state} = this.engine;
		const attempt = runningAttempt(this.engine, request.from);
		const challenged = ctx.config.challengeFirstBlock && attempt <= 1;
		const evidenceFile = path.join(ctx.run.dir, 'evidence', `${request.from}-${attempt}.txt`);
		mkdirSync(path.dirname(evidenceFile), {recursive: true});
		writeFileSync(evidenceFile, request.evidence);
		ctx.log.append({type: 'ticket.blocked', ticket: request.from, attempt, wall: request.wall, evidence: request.evidence, tried: request.tried, challenged});
		const evidence = path.relative(ctx.repoRoot, evidenceFile);
		state.claims.set(
			`${request.from}#${attempt}`,
			challenged
				? {
						kind: 'challenged',
						reason:
							`this attempt claimed an external wall (${request.wall}; tried: ${request.tried}). A first claim is challenged: ` +
							`look for another path before calling it blocked. Evidence it gave: ${evidence}`,
					}
				: {kind: 'blocked', wall: request.wall, tried: request.tried, evidence},
		);
		await ctx.log.durable();
		return challenged
			? 'recorded; on a first attempt a blocked claim is challenged: the next fresh attempt is asked to find another path'
			: 'recorded: the ticket is marked blocked when you exit';
	}

	/** A ticket changed under the loop: read it again, dispatch what may start, update the bar. */
	private async changed(id: string): Promise<void> {
		// A person's verb is answered with the ticket's file written: they may read it next.
		await this.engine.ctx.tickets.onDisk(id);
		await this.engine.view.refresh();
		this.engine.wake();
		this.engine.scheduleJudge();
	}
}

/** The running attempt of a worker's ticket; a worker of no running attempt is refused. */
export function runningAttempt(engine: EngineCore, id: string): number {
	const running = engine.state.running.get(id);
	if (!running) throw new Error(`${id} has no attempt running: \`proofloop ticket\` is for the worker of a running ticket`);
	return running.attempt;
}
