import {z} from 'zod';

// Every event the engine records. The log on disk is the truth: a resumed
// engine, the TUI and the report all rebuild their view from these lines.
const base = {seq: z.number().int().min(1), at: z.string()};
const ticketRef = {ticket: z.string(), attempt: z.number().int().min(1)};
const usage = z.object({inputTokens: z.number(), outputTokens: z.number(), costUsd: z.number()});

export const stages = ['prepare', 'plan', 'implement', 'checks', 'guard', 'review', 'merge', 'verify'] as const;
export const Stage = z.enum(stages);
export type Stage = z.infer<typeof Stage>;

export const TicketSummary = z.object({
	id: z.string(),
	title: z.string(),
	status: z.string(),
	deps: z.array(z.string()),
	locks: z.array(z.string()),
	priority: z.number(),
});
export type TicketSummary = z.infer<typeof TicketSummary>;

// `edit`: a person changed a ticket file by hand during the run (hand-edits.ts).
export const interventionKinds = ['pause', 'resume', 'gate', 'ungate', 'stop', 'restart', 'retry', 'reset', 'edit'] as const;
export const InterventionKind = z.enum(interventionKinds);
export type InterventionKind = z.infer<typeof InterventionKind>;

export const EngineEvent = z.discriminatedUnion('type', [
	z.object({
		...base,
		type: z.literal('run.started'),
		runId: z.string(),
		batch: z.string(),
		base: z.string(),
		baseCommit: z.string(),
		ticketIds: z.array(z.string()),
		oracleSha256: z.string(),
		pid: z.number(),
		/** Whether this engine's agents run inside bubblewrap (absent in logs written before it was recorded). */
		sandbox: z.enum(['bwrap', 'none']).optional(),
		/** How every process of the run is contained (containment.ts), e.g. "cgroup2 (...)" or "group (...)". */
		containment: z.string().optional(),
		/** The config's attempts per ticket (the ledger's default budget; absent in older logs). */
		attempts: z.number().int().min(1).optional(),
	}),
	z.object({
		...base,
		type: z.literal('run.resumed'),
		pid: z.number(),
		sandbox: z.enum(['bwrap', 'none']).optional(),
		containment: z.string().optional(),
		attempts: z.number().int().min(1).optional(),
	}),
	z.object({
		...base,
		...ticketRef,
		type: z.literal('attempt.started'),
		maxAttempts: z.number(),
		agent: z.string(),
		worktree: z.string(),
		engine: z.string().optional(),
	}),
	z.object({...base, ...ticketRef, type: z.literal('stage'), stage: Stage}),
	z.object({...base, ...ticketRef, type: z.literal('agent.spawned'), pid: z.number()}),
	z.object({...base, ...ticketRef, type: z.literal('agent.stalled'), silentSeconds: z.number()}),
	// The attempt's agent runs on a queue worker (executor "queue"): which host took it.
	z.object({...base, ...ticketRef, type: z.literal('agent.remote'), host: z.string()}),
	// The agent type is at its cap (config agentCaps): this process waits for a slot before it starts.
	z.object({...base, ...ticketRef, type: z.literal('agent.waiting'), agent: z.string(), role: z.enum(['worker', 'reviewer', 'healer']), cap: z.number()}),
	z.object({
		...base,
		...ticketRef,
		type: z.literal('agent.exited'),
		ok: z.boolean(),
		reason: z.string(),
		durationMs: z.number(),
		usage,
	}),
	z.object({...base, ...ticketRef, type: z.literal('checks.result'), ok: z.boolean(), reason: z.string().optional()}),
	z.object({...base, ...ticketRef, type: z.literal('guard.result'), ok: z.boolean(), reason: z.string().optional(), files: z.array(z.string())}),
	z.object({
		...base,
		...ticketRef,
		type: z.literal('review.result'),
		round: z.number(),
		verdict: z.enum(['approve', 'changes', 'failed']),
		findings: z.array(z.string()),
		// What the reviewer's runs reported spending (counted with the workers' in costs and the budget).
		usage: usage.optional(),
	}),
	// Plan review (config planReview): the worker's plan, and the reviewer's verdict on it, per round.
	z.object({
		...base,
		...ticketRef,
		type: z.literal('plan.result'),
		round: z.number(),
		verdict: z.enum(['approve', 'changes', 'failed']),
		findings: z.array(z.string()),
		plan: z.string(),
		/** What the planner and the reviewer spent on this round. */
		usage: usage.optional(),
	}),
	z.object({...base, ...ticketRef, type: z.literal('merge.intent'), head: z.string(), baseHead: z.string()}),
	z.object({...base, ...ticketRef, type: z.literal('merge.done'), sha: z.string(), warnings: z.array(z.string())}),
	z.object({
		...base,
		...ticketRef,
		type: z.literal('verify.result'),
		ok: z.boolean(),
		tries: z.number(),
		digest: z.string().optional(),
		reason: z.string().optional(),
	}),
	z.object({...base, ...ticketRef, type: z.literal('attempt.failed'), stage: Stage, reason: z.string()}),
	z.object({...base, ...ticketRef, type: z.literal('attempt.interrupted'), reason: z.string()}),
	// A ticket's attempt budget changed (a heal grants one more): the ledger reads it, so a resume keeps it.
	z.object({...base, type: z.literal('attempt.budget'), ticket: z.string(), budget: z.number().int().min(0), reason: z.string()}),
	z.object({
		...base,
		type: z.literal('ticket.status'),
		ticket: z.string(),
		status: z.string(),
		reason: z.string().optional(),
		// The exact fields written to the tracker, so a resumed engine can redo a write a crash cut off.
		fields: z.record(z.string(), z.unknown()),
	}),
	z.object({...base, ...ticketRef, type: z.literal('ticket.done'), mergeCommit: z.string(), verifyDigest: z.string()}),
	z.object({
		...base,
		type: z.literal('oracle.verdict'),
		exit: z.number(),
		verdict: z.string(),
		summary: z.string(),
		holding: z.array(z.object({id: z.string(), status: z.string(), reason: z.string()})),
		// The verdict the run ends on (the others keep the oracle bar current).
		final: z.boolean().default(false),
		// How long the verdict took (the live judge rests in proportion: live-judge.ts).
		ms: z.number().optional(),
	}),
	// `budget`: a budget is spent and no new attempt starts; `fatal`: the engine stops on this error (a person is told either: notify/).
	z.object({
		...base,
		type: z.literal('warning'),
		message: z.string(),
		ticket: z.string().optional(),
		budget: z.enum(['cost', 'time']).optional(),
		fatal: z.boolean().optional(),
	}),
	// The run started with --allow-dirty over a person's uncommitted changes in a checkout of base.
	z.object({...base, type: z.literal('checkout.dirty'), path: z.string(), files: z.array(z.string())}),
	// A person's checkout of base that git could not bring along without touching their changes: left as they have it, HEAD detached at `kept`.
	z.object({
		...base,
		type: z.literal('checkout.kept'),
		ticket: z.string().optional(),
		path: z.string(),
		branch: z.string(),
		kept: z.string(),
		baseHead: z.string(),
		reason: z.string(),
		fix: z.string(),
	}),
	// Stop detection: one harness error ended attempt after attempt of different tickets; dispatch stops.
	z.object({...base, type: z.literal('harness.repeated'), signature: z.string(), tickets: z.array(z.string()), count: z.number()}),
	// Self-heal: the loop was about to stop without oracle 0; a healer looked at the harness.
	z.object({...base, type: z.literal('heal.started'), heal: z.number(), report: z.string()}),
	z.object({
		...base,
		type: z.literal('heal.result'),
		heal: z.number(),
		outcome: z.enum(['applied', 'refused', 'external-wall', 'failed']),
		reason: z.string(),
		files: z.array(z.string()),
		diff: z.string(),
	}),
	// Work the loop discovered: a worker filed a ticket (it joins the batch; membership only grows).
	z.object({
		...base,
		type: z.literal('ticket.filed'),
		ticket: z.string(),
		from: z.string(),
		title: z.string(),
		blocks: z.string().optional(),
		file: z.string(),
	}),
	/** Every write the filing promised (file, manifest, blocker edge) landed: a resume leaves it alone, human edits included. */
	z.object({...base, type: z.literal('ticket.filing.done'), ticket: z.string()}),
	z.object({...base, type: z.literal('ticket.note'), ticket: z.string(), attempt: z.number().optional(), text: z.string()}),
	z.object({
		...base,
		type: z.literal('ticket.blocked'),
		ticket: z.string(),
		attempt: z.number(),
		wall: z.string(),
		evidence: z.string(),
		tried: z.string(),
		// First-attempt claims are challenged: the next fresh attempt must look for another path.
		challenged: z.boolean(),
	}),
	z.object({...base, ...ticketRef, type: z.literal('attempt.parked'), reason: z.string()}),
	// A usage or rate limit: the ticket waits until the reset, without spending an attempt.
	z.object({...base, ...ticketRef, type: z.literal('attempt.limited'), until: z.string(), reason: z.string()}),
	// The batch as the run sees it (at start, on resume, and when a ticket joins):
	// what a client needs to draw the ticket list without reading the tracker.
	z.object({...base, type: z.literal('run.tickets'), tickets: z.array(TicketSummary)}),
	// Every human action is an intervention, counted in the ledger.
	z.object({
		...base,
		type: z.literal('intervention'),
		kind: InterventionKind,
		by: z.string(),
		ticket: z.string().optional(),
		reason: z.string().optional(),
	}),

	// A human verb (or a wrong key) refused: on a worker channel it names the ticket and attempt that tried it.
	z.object({
		...base,
		type: z.literal('tamper.refused'),
		channel: z.enum(['worker', 'human']),
		verb: z.string(),
		detail: z.string(),
		ticket: z.string().optional(),
		attempt: z.number().optional(),
	}),

	// A commit the merge queue did not make reached base: dispatch stops, nothing is merged over it.
	z.object({
		...base,
		type: z.literal('base.foreign'),
		base: z.string(),
		expected: z.string(),
		tip: z.string(),
		commits: z.array(z.object({sha: z.string(), author: z.string(), subject: z.string()})),
		message: z.string(),
	}),
	// The ticket files the engine wrote, committed on base at the run's end (logged before base moves: the move is the engine's, never foreign).
	z.object({...base, type: z.literal('state.committed'), base: z.string(), sha: z.string(), parent: z.string(), files: z.array(z.string())}),
	// The tracker stopped reading cleanly (a ticket deleted, corrupted, made ambiguous): fixed within graceSeconds, or the run halts.
	z.object({...base, type: z.literal('tracker.broken'), message: z.string(), graceSeconds: z.number()}),
	z.object({...base, type: z.literal('tracker.fixed')}),
	// The run stops short at once, for a cause a person must look at (the message says what and the fix).
	z.object({
		...base,
		type: z.literal('run.halted'),
		cause: z.enum(['base.foreign', 'ledger.foreign', 'tracker', 'config', 'git.control']),
		message: z.string(),
	}),
	z.object({
		...base,
		type: z.literal('run.stopped'),
		reason: z.enum(['finished', 'stuck', 'signal', 'error', 'halted']),
		oracleExit: z.number().optional(),
		detail: z.string().optional(),
	}),
]);
export type EngineEvent = z.infer<typeof EngineEvent>;

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;
/** An event as the engine hands it to the log, before seq and time are stamped. */
export type NewEvent = DistributiveOmit<EngineEvent, 'seq' | 'at'>;
