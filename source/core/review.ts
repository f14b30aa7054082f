import {mkdirSync, writeFileSync} from 'node:fs';
import path from 'node:path';
import {z} from 'zod';
import type {AgentAdapter} from '../agents/adapter.js';
import {runAgent} from '../agents/runner.js';
import {runGit} from '../git/index.js';
import type {Ticket} from '../tracker/ticket.js';
import {agentEnv, budgetOf, type EngineContext} from './context.js';
import {withAgentSlot} from './agent-slots.js';
import {stopIfDiskFull} from './disk-full.js';
import {loadTemplate, renderTemplate} from './prompt.js';
import {parseJsonWith} from './json-schema-parse.js';
import {reviewersOf} from './reviewers.js';

// The second model's verdict: validated, never guessed at.
export const ReviewVerdict = z.discriminatedUnion('verdict', [
	z.object({verdict: z.literal('approve'), findings: z.array(z.string()).optional()}),
	z.object({verdict: z.literal('changes'), findings: z.array(z.string().min(1)).min(1, 'a "changes" verdict lists at least one finding')}),
]);
export type ReviewVerdict = z.infer<typeof ReviewVerdict>;

/** The last JSON object in an agent's answer that `schema` accepts, or why there is none. */
export function extractLastJson<T>(text: string, schema: z.ZodType<T>): {ok: true; value: T} | {ok: false; reason: string} {
	const candidates: string[] = [];
	// Every balanced {...} span, scanning from each '{' (answers often wrap the JSON in prose or fences).
	// The scan's work is bounded: an answer of unbalanced '{' would make it quadratic (minutes at 256 kB).
	let budget = 64 * text.length;
	for (let start = text.indexOf('{'); start >= 0 && budget > 0; start = text.indexOf('{', start + 1)) {
		let depth = 0;
		let inString = false;
		for (let i = start; i < text.length && --budget > 0; i++) {
			const c = text[i];
			if (inString) {
				if (c === '\\') i++;
				else if (c === '"') inString = false;
				continue;
			}
			if (c === '"') inString = true;
			else if (c === '{') depth++;
			else if (c === '}' && --depth === 0) {
				candidates.push(text.slice(start, i + 1));
				break;
			}
		}
	}
	let lastProblem = 'the answer holds no JSON object';
	for (const candidate of candidates.reverse()) {
		const parsed = parseJsonWith(schema, candidate);
		if (!parsed) continue;
		if (parsed.success) return {ok: true, value: parsed.data};
		lastProblem = `its JSON is not a verdict: ${parsed.error.issues[0]?.message ?? 'wrong shape'}`;
	}
	return {ok: false, reason: lastProblem};
}

/** The reviewer's verdict in its answer. */
export function extractVerdict(text: string): {ok: true; verdict: ReviewVerdict} | {ok: false; reason: string} {
	const found = extractLastJson(text, ReviewVerdict);
	return found.ok ? {ok: true, verdict: found.value} : found;
}

const MAX_DIFF = 200_000;
const MAX_ANSWER = 64 * 1024;

type Usage = {inputTokens: number; outputTokens: number; costUsd: number};
export type ReviewOutcome = (
	{kind: 'approve'} | {kind: 'changes'; findings: string[]} | {kind: 'failed'; reason: string} | {kind: 'limited'; until: number; reason: string}
) & {
	/** What the reviewer's runs cost (every ask counts). */
	usage: Usage;
};

/**
 * Ask the reviewer (a different adapter or model) about the exact commit that
 * passed the checks and the guard, in a detached checkout of it so the
 * reviewer cannot change what merges. An answer without a valid verdict is
 * asked once more, then the attempt fails.
 */
export async function reviewChange(opts: {
	ctx: EngineContext;
	reviewer: AgentAdapter;
	ticket: Ticket;
	attempt: number;
	round: number;
	head: string;
	checks: string[];
}): Promise<ReviewOutcome> {
	const {ctx, ticket, attempt, head} = opts;
	const base = ctx.config.base;
	const diff = await runGit(ctx.repoRoot, ['diff', `refs/heads/${base}...${head}`]);
	const text = diff.stdout.length > MAX_DIFF ? `${diff.stdout.slice(0, MAX_DIFF)}\n... (diff cut at ${MAX_DIFF} characters)` : diff.stdout;
	const prompt = renderTemplate(loadTemplate(ctx.repoRoot, 'reviewer'), {
		attempt: String(attempt),
		max_attempts: String(budgetOf(ctx, ticket.id)),
		round: String(opts.round),
		max_rounds: String(ctx.config.reviewRounds),
		ticket_file: ticket.file,
		ticket_text: ticket.text.trimEnd(),
		base,
		diff: text,
		checks: opts.checks.map(c => `- \`${c}\``).join('\n') || '- (none)',
	});
	return askEveryReviewer({ctx, reviewer: opts.reviewer, ticket, attempt, head, prompt, suffix: 'review'});
}

/**
 * The config's reviewers on one prompt (a change, or a plan): with one, `reviewer` alone; with several, all at once,
 * each in its own checkout with its own prompt and log (`suffix`, `suffix-2`, ...), and the subject needs them all.
 */
export async function askEveryReviewer(opts: Parameters<typeof askReviewer>[0]): Promise<ReviewOutcome> {
	const reviewers = reviewersOf(opts.ctx);
	if (reviewers.length <= 1) return askReviewer(opts);
	const outcomes = await Promise.all(
		reviewers.map((r, i) => askReviewer({...opts, reviewer: r.adapter, suffix: i === 0 ? opts.suffix : `${opts.suffix}-${i + 1}`})),
	);
	return combineReviews(
		reviewers.map(r => r.name),
		outcomes,
	);
}

/**
 * Several reviewers' outcomes as one: a limit makes the ticket wait; any request for changes is changes, with the findings of all
 * (and why a reviewer could not answer); else any failure fails; approved only when every one approved.
 */
export function combineReviews(names: readonly string[], outcomes: readonly ReviewOutcome[]): ReviewOutcome {
	const usage = outcomes.reduce<Usage>(
		(sum, o) => ({
			inputTokens: sum.inputTokens + o.usage.inputTokens,
			outputTokens: sum.outputTokens + o.usage.outputTokens,
			costUsd: sum.costUsd + o.usage.costUsd,
		}),
		{inputTokens: 0, outputTokens: 0, costUsd: 0},
	);
	const named = outcomes.map((outcome, i) => ({outcome, name: names[i] ?? `reviewer ${i + 1}`}));
	const limits = named.flatMap(({outcome, name}) => (outcome.kind === 'limited' ? [{until: outcome.until, reason: `${outcome.reason} [${name}]`}] : []));
	if (limits.length > 0) return {kind: 'limited', until: Math.max(...limits.map(l => l.until)), reason: limits.map(l => l.reason).join('; '), usage};
	const failures = named.flatMap(({outcome, name}) => (outcome.kind === 'failed' ? [{name, reason: outcome.reason}] : []));
	if (named.some(({outcome}) => outcome.kind === 'changes')) {
		const findings = named.flatMap(({outcome, name}) => (outcome.kind === 'changes' ? outcome.findings.map(f => `[${name}] ${f}`) : []));
		return {kind: 'changes', findings: [...findings, ...failures.map(f => `[${f.name}] could not review: ${f.reason}`)], usage};
	}
	if (failures.length > 0) return {kind: 'failed', reason: failures.map(f => `${f.reason} [${f.name}]`).join('; '), usage};
	return {kind: 'approve', usage};
}

/**
 * Ask the reviewer once about `prompt` (a change or a plan), in a detached
 * checkout of `head`, within its agent type's cap; an answer without a valid
 * verdict is asked once more, then it is a failure.
 */
export async function askReviewer(opts: {
	ctx: EngineContext;
	reviewer: AgentAdapter;
	ticket: Ticket;
	attempt: number;
	head: string;
	prompt: string;
	suffix: string;
}): Promise<ReviewOutcome> {
	const {ctx, ticket, attempt, head, prompt} = opts;
	const promptFile = ctx.run.promptFile(ticket.id, attempt).replace(/\.md$/, `.${opts.suffix}.md`);
	mkdirSync(path.dirname(promptFile), {recursive: true});
	writeFileSync(promptFile, prompt);
	const logFile = ctx.run.logFile(ticket.id, attempt).replace(/\.log$/, `.${opts.suffix}.log`);
	let lastProblem = '';
	const usage: Usage = {inputTokens: 0, outputTokens: 0, costUsd: 0};
	for (let ask = 1; ask <= 2; ask++) {
		// Everything the reviewer said, bounded: the verdict may span several lines.
		let said = '';
		const answer = await ctx.repo.withDetachedCheckout(`${ticket.id}.${opts.suffix}`, head, checkout =>
			// A stop that came while it waited for a slot: start nothing (the stop's reaping is over).
			withAgentSlot(ctx, {agent: opts.reviewer.name, role: 'reviewer', ticket: ticket.id, attempt}, async () =>
				ctx.stopping()
					? undefined
					: runAgent({
							onEvent: event => {
								if (event.type === 'text' || event.type === 'result')
									said = `${said}\n${event.type === 'text' ? event.text : event.message}`.slice(-MAX_ANSWER);
							},
							adapter: opts.reviewer,
							input: {ticketId: ticket.id, attempt, maxAttempts: budgetOf(ctx, ticket.id), promptFile, worktree: checkout},
							env: {...agentEnv(ctx, ticket.id, attempt), PROOFLOOP_ROLE: 'reviewer'},
							...(ctx.sandbox ? {sandbox: ctx.sandbox} : {}),
							logFile,
							timeoutMs: ctx.config.attemptTimeoutSeconds * 1000,
						}),
			),
		);
		if (!answer) return {kind: 'failed', reason: 'the engine stopped during review', usage};
		// No room for the reviewer's log is the machine's failure, not the change's: the run stops, to resume later.
		if (answer.logError) stopIfDiskFull(ctx, answer.logError, logFile);
		usage.inputTokens += answer.usage.inputTokens;
		usage.outputTokens += answer.usage.outputTokens;
		usage.costUsd += answer.usage.costUsd;
		if (ctx.stopping()) return {kind: 'failed', reason: 'the engine stopped during review', usage};
		// A usage limit is not the change's fault: the ticket waits, like a worker's would.
		if (!answer.ok && answer.limit) {
			const until = answer.limit.resetAt
				? Date.parse(answer.limit.resetAt)
				: Date.now() + 1000 * (answer.limit.retryAfterSeconds ?? ctx.config.limitBackoffSeconds);
			return {
				kind: 'limited',
				until: Number.isFinite(until) ? until : Date.now() + 1000 * ctx.config.limitBackoffSeconds,
				reason: `the reviewer hit a usage limit: ${answer.reason}`,
				usage,
			};
		}
		if (!answer.ok) {
			lastProblem = `the reviewer failed: ${answer.reason}`;
			continue;
		}
		const verdict = extractVerdict(said);
		if (!verdict.ok) {
			lastProblem = `the reviewer answered no valid verdict JSON (${verdict.reason})`;
			continue;
		}
		return verdict.verdict.verdict === 'approve' ? {kind: 'approve', usage} : {kind: 'changes', findings: verdict.verdict.findings, usage};
	}
	return {kind: 'failed', reason: `${lastProblem}; asked twice`, usage};
}
