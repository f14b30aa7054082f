/**
 * One plan agent (planner, researcher or reviewer) asked one question: its
 * prompt in the plan directory, a read-only checkout of base, the run's
 * sandbox made read-only, and an answer that must hold a JSON object the
 * schema accepts (asked twice, then a failure). After it ends, anything it
 * wrote is caught and its answer is not used.
 */
import {mkdirSync, writeFileSync} from 'node:fs';
import path from 'node:path';
import type {z} from 'zod';
import type {AgentAdapter} from '../agents/adapter.js';
import {runAgent, type AgentUsage} from '../agents/runner.js';
import type {SandboxPolicy} from '../agents/sandbox.js';
import type {Repo} from '../git/index.js';
import {extractLastJson} from '../core/review.js';
import {checkoutWrites, movedSince, type PlanSnapshot} from './guard.js';
import type {PlanProgress} from './progress.js';

const MAX_ANSWER = 256 * 1024;

export type PlanRole = 'planner' | 'researcher' | 'reviewer';

export type PlanAgentHost = {
	repo: Repo;
	root: string;
	base: string;
	/** The commit every plan agent reads. */
	baseSha: string;
	trackerDir: string;
	planId: string;
	planDir: string;
	/** The allow-listed agent environment (no tokens but the CLIs' own). */
	env: Record<string, string>;
	sandbox?: SandboxPolicy;
	timeoutMs: number;
	snapshot: PlanSnapshot;
	/** One line of progress, for the person watching. */
	say: (line: string) => void;
	/** Each agent's state and words, for the TUI's panes. */
	progress?: PlanProgress;
	/** Every agent's cost, summed. */
	usage: AgentUsage;
	/** The agents running now: researchers run side by side, so a change is theirs together. */
	running: Set<string>;
};

/** Something that defines done moved while a plan agent ran: the plan stops and writes nothing. */
export class PlanTamper extends Error {}

export type Asked<T> = {ok: true; value: T} | {ok: false; reason: string};

export async function askPlanAgent<T>(
	host: PlanAgentHost,
	opts: {adapter: AgentAdapter; role: PlanRole; name: string; prompt: string; schema: z.ZodType<T>},
): Promise<Asked<T>> {
	const promptFile = path.join(host.planDir, 'prompts', `${opts.name}.md`);
	mkdirSync(path.dirname(promptFile), {recursive: true});
	writeFileSync(promptFile, opts.prompt);
	let problem = '';
	for (let ask = 1; ask <= 2; ask++) {
		let said = '';
		const logFile = path.join(host.planDir, 'logs', `${opts.name}${ask > 1 ? `.ask-${ask}` : ''}.log`);
		host.running.add(opts.name);
		host.progress?.started(opts.name, opts.role);
		const {answer, wrote} = await host.repo.withDetachedCheckout(`${host.planId}.${opts.name}`, host.baseSha, async checkout => {
			const answer = await runAgent({
				adapter: opts.adapter,
				input: {ticketId: opts.name, attempt: ask, maxAttempts: 2, promptFile, worktree: checkout},
				env: {...host.env, PROOFLOOP_ROLE: opts.role, PROOFLOOP_PLAN_STEP: opts.name},
				...(host.sandbox ? {sandbox: {...host.sandbox, readOnlyWorktree: true}} : {}),
				logFile,
				timeoutMs: host.timeoutMs,
				onEvent: event => {
					if (event.type === 'text' || event.type === 'result') said = `${said}\n${event.type === 'text' ? event.text : event.message}`.slice(-MAX_ANSWER);
					if (event.type === 'text') host.progress?.said(opts.name, event.text);
					if (event.type === 'tool') host.progress?.said(opts.name, `> ${event.name}${event.detail ? ` ${event.detail}` : ''}`);
				},
			});
			return {answer, wrote: await checkoutWrites(checkout)};
		});
		host.usage.inputTokens += answer.usage.inputTokens;
		host.usage.outputTokens += answer.usage.outputTokens;
		host.usage.costUsd += answer.usage.costUsd;
		const moved = await movedSince(host.snapshot, host.root, host.base, host.trackerDir);
		const who = [...host.running].sort().join(', ');
		host.running.delete(opts.name);
		if (moved.length > 0)
			throw new PlanTamper(
				`${moved.join(', ')} changed while ${who} ran; a plan agent only reads, so the plan stops and writes nothing\n` +
					`  fix: look at what changed (git status, git log ${host.base}) and put it back; run it sandboxed ("sandbox": "auto") so no agent can`,
			);
		if (wrote.length > 0) {
			host.progress?.ended(opts.name, false, 'wrote in its read-only checkout');
			// Its answer may rest on what it changed: not used, and it is not asked again.
			return {ok: false, reason: `the ${opts.role} wrote in its read-only checkout (${wrote.slice(0, 3).join('; ')}); its answer is not used`};
		}
		if (!answer.ok) {
			problem = `the ${opts.role} failed: ${answer.reason}`;
			host.progress?.ended(opts.name, false, problem);
			continue;
		}
		const found = extractLastJson(said, opts.schema);
		if (found.ok) {
			host.progress?.ended(opts.name, true, 'answered');
			return found;
		}
		problem = `the ${opts.role} answered no valid JSON (${found.reason})`;
		host.progress?.ended(opts.name, false, problem);
		host.say(`  ${opts.name}: ${problem}; asking once more`);
	}
	return {ok: false, reason: `${problem}; asked twice`};
}
