/**
 * Plan review (config planReview, off by default): before it builds, the
 * worker writes a plan and the reviewer must approve it. A plan that misses the
 * ticket is cheaper to catch than a change that does. Rounds are capped by
 * reviewRounds; the approved plan goes into the implement prompt.
 */
import {mkdirSync, writeFileSync} from 'node:fs';
import path from 'node:path';
import type {AgentAdapter} from '../agents/adapter.js';
import {runAgent} from '../agents/runner.js';
import type {Ticket} from '../tracker/ticket.js';
import {withAgentSlot} from './agent-slots.js';
import {stopIfDiskFull} from './disk-full.js';
import {reapRunProcesses} from '../process/orphans.js';
import {agentEnv, budgetOf, type EngineContext} from './context.js';
import {loadTemplate, renderTemplate} from './prompt.js';
import {askEveryReviewer} from './review.js';
import {engineFor} from './engines.js';

const MAX_PLAN = 16 * 1024;

export type PlanOutcome =
	{kind: 'approved'; plan: string} | {kind: 'failed'; reason: string} | {kind: 'limited'; until: number; reason: string} | {kind: 'interrupted'};

type Where = {path: string; branch: string; head: string};

const bullets = (items: string[], none: string): string => (items.length > 0 ? items.map(item => `- \`${item}\``).join('\n') : `- ${none}`);

export async function planAndReview(opts: {
	ctx: EngineContext;
	reviewer: AgentAdapter;
	ticket: Ticket;
	attempt: number;
	worktree: Where;
	previous: string[];
	checks: string[];
	verify: string[];
}): Promise<PlanOutcome> {
	const {ctx, ticket, attempt, worktree} = opts;
	const notes = [...opts.previous];
	const rounds = ctx.config.reviewRounds;
	let findings: string[] = [];
	for (let round = 1; round <= rounds; round++) {
		if (findings.length > 0) notes.push(`Plan round ${round - 1} was not approved; the reviewers' findings: ${findings.join(' | ')}`);
		const vars = {
			ticket_id: ticket.id,
			ticket_file: ticket.file,
			ticket_text: ticket.text.trimEnd(),
			attempt: String(attempt),
			max_attempts: String(budgetOf(ctx, ticket.id)),
			round: String(round),
			max_rounds: String(rounds),
			branch: worktree.branch,
			base: ctx.config.base,
			checks: bullets(opts.checks, '(none)'),
			verify: bullets(opts.verify, '(none: the checks re-run on the merged base)'),
		};
		const promptFile = ctx.run.promptFile(ticket.id, attempt).replace(/\.md$/, `.plan-${round}.md`);
		mkdirSync(path.dirname(promptFile), {recursive: true});
		writeFileSync(
			promptFile,
			renderTemplate(loadTemplate(ctx.repoRoot, 'plan'), {
				...vars,
				previous_attempts: notes.length > 0 ? notes.map(line => `- ${line}`).join('\n') : 'Nothing: this is the first plan.',
			}),
		);

		let said = '';
		// The attempt's routed engine plans what it will build (engines.ts).
		const planner = engineFor(ctx, ticket, attempt).adapter;
		const answer = await withAgentSlot(ctx, {agent: planner.name, role: 'worker', ticket: ticket.id, attempt}, async () =>
			ctx.stopping() || !ctx.owns(ticket.id)
				? undefined
				: runAgent({
						adapter: planner,
						input: {ticketId: ticket.id, attempt, maxAttempts: budgetOf(ctx, ticket.id), promptFile, worktree: worktree.path},
						env: {...agentEnv(ctx, ticket.id, attempt), PROOFLOOP_ROLE: 'planner'},
						...(ctx.sandbox ? {sandbox: ctx.sandbox} : {}),
						logFile: ctx.run.logFile(ticket.id, attempt),
						timeoutMs: ctx.config.attemptTimeoutSeconds * 1000,
						// The pane leaves "queued for …" once the planner runs.
						onSpawn: pid => ctx.log.append({type: 'agent.spawned', ticket: ticket.id, attempt, pid}),
						onEvent: event => {
							if (event.type === 'text' || event.type === 'result') said = `${said}\n${event.type === 'text' ? event.text : event.message}`.slice(-MAX_PLAN);
						},
					}),
		);
		// A plan is words: whatever the planner changed in the worktree is put back.
		// Checked: if this failed silently, the planner's edits would be committed as the worker's.
		// Nothing the planner started (a setsid'd child) may edit the worktree after it is put back.
		reapRunProcesses(ctx.run.id, ticket.id);
		await ctx.repo.restoreCheckout(worktree.path, worktree.branch, worktree.head);
		// No room for the planner's log: the machine failed, not the plan; the run stops, to resume later.
		if (answer?.logError) stopIfDiskFull(ctx, answer.logError, ctx.run.logFile(ticket.id, attempt));
		const plan = said.trim();
		// A planner that ends early still cost what it cost: log it before returning.
		const unplanned = (verdict: string) => {
			if (answer)
				ctx.log.append({
					type: 'plan.result',
					ticket: ticket.id,
					attempt,
					round,
					verdict: 'failed',
					findings: [verdict],
					plan: plan.slice(0, 4000),
					usage: answer.usage,
				});
		};
		if (!answer || ctx.stopping()) {
			unplanned('the engine stopped during planning');
			return {kind: 'interrupted'};
		}
		if (!answer.ok && answer.limit) {
			unplanned(`the planner hit a usage limit: ${answer.reason}`);
			const until = answer.limit.resetAt
				? Date.parse(answer.limit.resetAt)
				: Date.now() + 1000 * (answer.limit.retryAfterSeconds ?? ctx.config.limitBackoffSeconds);
			return {kind: 'limited', until: Number.isFinite(until) ? until : Date.now() + 1000 * ctx.config.limitBackoffSeconds, reason: answer.reason};
		}
		if (!answer.ok) {
			unplanned(`the planner failed: ${answer.reason}`);
			return {kind: 'failed', reason: `the planner failed: ${answer.reason}`};
		}
		if (plan === '') {
			unplanned('the planner ended without a plan');
			return {kind: 'failed', reason: 'the planner ended without a plan (its final message was empty)'};
		}

		const prompt = renderTemplate(loadTemplate(ctx.repoRoot, 'plan-review'), {...vars, plan});
		const review = await askEveryReviewer({ctx, reviewer: opts.reviewer, ticket, attempt, head: worktree.head, prompt, suffix: `plan-review-${round}`});
		const verdict = review.kind === 'approve' ? 'approve' : review.kind === 'changes' ? 'changes' : 'failed';
		findings = review.kind === 'changes' ? review.findings : review.kind === 'approve' ? [] : [review.reason];
		const usage = {
			inputTokens: answer.usage.inputTokens + review.usage.inputTokens,
			outputTokens: answer.usage.outputTokens + review.usage.outputTokens,
			costUsd: answer.usage.costUsd + review.usage.costUsd,
		};
		ctx.log.append({type: 'plan.result', ticket: ticket.id, attempt, round, verdict, findings, plan: plan.slice(0, 4000), usage});
		if (ctx.stopping()) return {kind: 'interrupted'};
		if (review.kind === 'limited') return {kind: 'limited', until: review.until, reason: review.reason};
		if (review.kind === 'failed') return {kind: 'failed', reason: `the plan review failed: ${review.reason}`};
		if (review.kind === 'approve') return {kind: 'approved', plan};
	}
	return {kind: 'failed', reason: `the plan was not approved in ${rounds} round(s); last findings: ${findings.join(' | ')}`};
}
