import {mkdirSync, writeFileSync} from 'node:fs';
import path from 'node:path';
import type {Ticket} from '../tracker/ticket.js';
import {budgetOf, runEnv, type EngineContext} from './context.js';
import {executorOf} from '../executor/local.js';
import type {Stage} from './events.js';
import {guardAttempt} from './finish-line-guard.js';
import {pinnedTicket} from './ticket-pins.js';
import {reapRunProcesses} from '../process/orphans.js';
import {naming, stopIfDiskFull} from './disk-full.js';
import {renderWorkerPrompt} from './prompt.js';
import {planAndReview} from './plan-stage.js';
import {reviewChange} from './review.js';
import {gist, lastLines} from './shell.js';
import {runCheck} from './check-box.js';
import {countedChecks} from './check-results.js';
import {recordDone} from './record-done.js';
import {verifyLive} from './verify-live.js';
import {agentCannotStart, checkCannotStart} from './cannot-start.js';
import {attemptAgent, confirmCannotStart} from './cannot-start-confirm.js';

export type AttemptOutcome =
	| {kind: 'done'}
	| {kind: 'failed'; stage: Stage; reason: string; merged: boolean}
	/**
	 * Cut short by a stop. `afterMerge`: the merge landed, so the attempt stays open and a resume continues at verify.
	 * `halt`: a program that could not start (cannot-start.ts): not charged, and dispatch stops.
	 */
	| {kind: 'interrupted'; reason: string; afterMerge?: boolean; halt?: boolean}
	/** The worker filed a ticket that blocks its own: wait for it; not counted against the budget. */
	| {kind: 'parked'; reason: string}
	/** The worker's blocked claim stands (named wall, evidence, what it tried). */
	| {kind: 'blocked'; wall: string; tried: string; evidence: string}
	/** A usage or rate limit stopped the agent: not its fault, not counted; the ticket waits until `until` (ms). */
	| {kind: 'limited'; until: number; reason: string};

/** The commands that make up a ticket's finish line (a ticket overrides the config's defaults). */
export function finishLine(ctx: EngineContext, ticket: Ticket): {checks: string[]; verify: string[]} {
	// As the run first saw the ticket: a mid-run edit of its commands does not move this run's finish line.
	const own = pinnedTicket(ctx, ticket);
	const checks = own.checks ?? ctx.config.checks;
	const verify = own.verify ?? ctx.config.verify;
	// No verify commands: the checks, re-run on the merged base, are the live proof.
	return {checks, verify: verify.length > 0 ? verify : checks};
}

export function protectedPaths(ctx: EngineContext): string[] {
	return [...new Set([...ctx.config.protectedPaths, ...ctx.tracker.protectedPaths(), '.proofloop/config.json'])];
}

class StageFailure extends Error {
	constructor(
		readonly stage: Stage,
		readonly reason: string,
	) {
		super(reason);
	}
}

/**
 * One attempt at the finish line: prepare worktree -> agent -> checks -> guard
 * -> merge -> verify -> done. Any stage failing ends the attempt with a reason
 * the next fresh worker reads. `resumeFrom` continues an attempt whose merge
 * already landed before an engine crash, at verify.
 */
export async function runAttempt(
	ctx: EngineContext,
	ticket: Ticket,
	attempt: number,
	previous: string[],
	resumeFrom?: {mergeSha: string},
): Promise<AttemptOutcome> {
	const id = ticket.id;
	const base = ctx.config.base;
	const logFile = ctx.run.logFile(id, attempt);
	mkdirSync(path.dirname(logFile), {recursive: true});
	const env = runEnv(ctx, id, attempt);
	const stage = (name: Stage) => ctx.log.append({type: 'stage', ticket: id, attempt, stage: name});
	const {checks, verify} = finishLine(ctx, ticket);
	let merged = Boolean(resumeFrom);

	try {
		let mergeSha = resumeFrom?.mergeSha;
		if (!mergeSha) {
			stage('prepare');
			const worktree = await ctx.repo.prepareWorktree(id, base);
			const notes = [...previous];
			if (worktree.conflict?.length) {
				notes.push(
					`Your branch ${worktree.branch} conflicts with the newest ${base} in: ${worktree.conflict.join(', ')}. ` +
						`Run \`git merge ${base}\` in your worktree and resolve the conflicts first.`,
				);
			}
			if (ctx.config.planReview && ctx.reviewer) {
				stage('plan');
				const head = (await ctx.repo.revParse(`refs/heads/${worktree.branch}`)) ?? '';
				const planned = await planAndReview({
					ctx,
					reviewer: ctx.reviewer,
					ticket,
					attempt,
					worktree: {path: worktree.path, branch: worktree.branch, head},
					previous: notes,
					checks,
					verify,
				});
				if (planned.kind === 'interrupted') return {kind: 'interrupted', reason: 'the engine stopped during planning'};
				if (planned.kind === 'limited') return {kind: 'limited', until: planned.until, reason: planned.reason};
				if (planned.kind === 'failed') throw new StageFailure('plan', planned.reason);
				notes.push(`The plan the reviewer approved for this attempt (build this):\n${planned.plan}`);
			}
			const promptFile = ctx.run.promptFile(id, attempt);
			mkdirSync(path.dirname(promptFile), {recursive: true});
			const prompt = renderWorkerPrompt(ctx.repoRoot, {
				ticket,
				attempt,
				maxAttempts: budgetOf(ctx, id),
				branch: worktree.branch,
				base,
				checks,
				verify,
				protectedPaths: protectedPaths(ctx),
				previous: notes,
			});
			naming(promptFile, () => writeFileSync(promptFile, prompt));

			stage('implement');
			const implemented = await executorOf(ctx).implement(ctx, {ticket, attempt, promptFile, worktree, logFile});
			const result = implemented.agent;
			if (!result && !ctx.owns(id)) return {kind: 'interrupted', reason: 'a human gated the ticket while it waited for an agent slot'};
			if (ctx.stopping() || !result) return {kind: 'interrupted', reason: 'the engine stopped during the agent run'};
			// An agent whose log the disk had no room for did not fail: the machine did (this ends the run, to resume later).
			if (result.logError) stopIfDiskFull(ctx, result.logError, logFile);
			ctx.log.append({
				type: 'agent.exited',
				ticket: id,
				attempt,
				ok: result.ok,
				reason: result.reason,
				durationMs: result.durationMs,
				usage: result.usage,
			});
			const cannot = await confirmCannotStart(ctx, {...ticket, checks, verify}, agentCannotStart(result, logFile), {agent: attemptAgent(ctx, ticket, attempt)});
			if (cannot) return {kind: 'interrupted', reason: cannot, halt: true};
			// Nothing the agent started may outlive it and keep changing the branch (a setsid'd
			// grandchild escapes the group kill, but not the run marker in its environment).
			reapRunProcesses(ctx.run.id, id);
			// What the worker told the engine while it ran decides before its exit code does (read once, now).
			const claim = ctx.claimAfterAgent(id, attempt);
			// An agent that switched its worktree to another branch (or detached it) must not have
			// its leftovers committed there: that could be main, or another ticket's branch.
			const onBranch = await implemented.branch();
			if (onBranch !== worktree.branch) {
				// Its claim still stands (the next attempt starts on its branch again); nothing from the wrong branch is kept.
				if (claim?.kind === 'parked') return {kind: 'parked', reason: claim.reason};
				if (claim?.kind === 'blocked') return claim;
				throw new StageFailure(
					'implement',
					`the agent left its worktree on ${onBranch ? `branch ${onBranch}` : 'a detached HEAD'} instead of ${worktree.branch}; ` +
						`nothing it left there is committed or merged (the next attempt starts on ${worktree.branch} again)`,
				);
			}
			// Whatever the agent left uncommitted is its work too: commit it so the guard and the merge see it.
			const leftover = await implemented.commitLeftovers(`${id}: work left uncommitted by attempt ${attempt}\n\nCommitted-By: proofloop`);
			if (claim?.kind === 'parked') return {kind: 'parked', reason: claim.reason};
			if (claim?.kind === 'blocked') return claim;
			if (claim?.kind === 'challenged') throw new StageFailure('implement', claim.reason);
			if (!result.ok && result.limit) {
				const until = result.limit.resetAt
					? Date.parse(result.limit.resetAt)
					: Date.now() + 1000 * (result.limit.retryAfterSeconds ?? ctx.config.limitBackoffSeconds);
				return {kind: 'limited', until: Number.isFinite(until) ? until : Date.now() + 1000 * ctx.config.limitBackoffSeconds, reason: result.reason};
			}
			if (!result.ok) throw new StageFailure('implement', `the agent failed: ${result.reason}`);
			// The commit the finish line judges, and exactly the one that gets merged (the commit just made is the branch's tip).
			const head = leftover ?? (await ctx.repo.revParse(`refs/heads/${worktree.branch}`)) ?? '';

			stage('checks');
			// An exit 0 counts only with at least the tests base's run of the command ran (check-results.ts).
			const counted = await countedChecks(ctx, {ticket, head, cwd: worktree.path, env, logFile});
			for (const command of checks) {
				const check = await runCheck(ctx, {command, cwd: worktree.path, env, logFile, label: 'check', readOnlyFiles: counted.readOnly});
				if (ctx.stopping()) return {kind: 'interrupted', reason: 'the engine stopped during the checks'};
				const cannot = await confirmCannotStart(ctx, {...ticket, checks, verify}, checkCannotStart(command, check), {command});
				if (cannot) return {kind: 'interrupted', reason: cannot, halt: true};
				if (!check.ok) {
					const why = check.timedOut ? 'timed out' : `exit ${check.exitCode}`;
					ctx.log.append({type: 'checks.result', ticket: id, attempt, ok: false, reason: `\`${command}\` failed (${why})`});
					throw new StageFailure('checks', `check \`${command}\` failed (${why}): ${gist(check.output)}\n${lastLines(check.output, 25)}`);
				}
				const short = await counted.judge(command, check.output);
				if (short) {
					ctx.log.append({type: 'checks.result', ticket: id, attempt, ok: false, reason: short});
					throw new StageFailure('checks', `${short}\n${lastLines(check.output, 25)}`);
				}
			}
			reapRunProcesses(ctx.run.id, id);
			if (!(await ctx.repo.branchStillAt(worktree.branch, head))) {
				throw new StageFailure('checks', `the branch ${worktree.branch} moved while the checks ran; checks must not commit`);
			}
			ctx.log.append({type: 'checks.result', ticket: id, attempt, ok: true});

			stage('guard');
			const {files, verdict: guard} = await guardAttempt(ctx, ticket, worktree.path, head, protectedPaths(ctx));
			ctx.log.append({type: 'guard.result', ticket: id, attempt, ok: guard.ok, files, ...(guard.ok ? {} : {reason: guard.reason})});
			if (!guard.ok) throw new StageFailure('guard', guard.reason);

			if (ctx.reviewer) {
				stage('review');
				const round = ctx.reviewRounds(id) + 1;
				const review = await reviewChange({ctx, reviewer: ctx.reviewer, ticket, attempt, round, head, checks});
				if (ctx.stopping()) return {kind: 'interrupted', reason: 'the engine stopped during review'};
				if (review.kind === 'limited') {
					ctx.log.append({type: 'review.result', ticket: id, attempt, round, verdict: 'failed', findings: [review.reason], usage: review.usage});
					return {kind: 'limited', until: review.until, reason: review.reason};
				}
				const findings = review.kind === 'changes' ? review.findings : review.kind === 'failed' ? [review.reason] : [];
				ctx.log.append({type: 'review.result', ticket: id, attempt, round, verdict: review.kind, findings, usage: review.usage});
				if (review.kind === 'changes') {
					throw new StageFailure(
						'review',
						`the reviewer asked for changes (round ${round}/${ctx.config.reviewRounds}):\n${review.findings.map(f => `- ${f}`).join('\n')}`,
					);
				}
				if (review.kind === 'failed') throw new StageFailure('review', review.reason);
			}

			stage('merge');
			const halt = ctx.mergeHalt?.();
			if (halt) return {kind: 'interrupted', reason: `not merged: ${halt.split('\n')[0]}`};
			const baseHead = (await ctx.repo.baseTip(base)) ?? '';
			ctx.log.append({type: 'merge.intent', ticket: id, attempt, head, baseHead});
			const merge = await ctx.repo.mergeToBase({ticketId: id, attempt, title: ticket.title, base, head});
			if (merge.kind === 'conflict') {
				throw new StageFailure('merge', `merging into ${base} conflicts in: ${merge.files.join(', ')}. Merge ${base} into your branch and resolve them.`);
			}
			// Someone else moved base: the engine halts (run-watch.ts); this attempt is not counted.
			if (merge.kind === 'foreign')
				return {kind: 'interrupted', reason: `${base} moved to ${merge.tip.slice(0, 7)} outside the merge queue; nothing is merged over it`};
			if (merge.kind === 'empty') {
				throw new StageFailure('merge', `merging into ${base} changes nothing: the work is already there or the diff cancels out`);
			}
			ctx.log.append({type: 'merge.done', ticket: id, attempt, sha: merge.sha, warnings: merge.warnings});
			for (const message of merge.warnings) ctx.log.append({type: 'warning', ticket: id, message});
			counted.merged(merge.sha, merge.parent);
			merged = true;
			mergeSha = merge.sha;
			await ctx.writeTicket(id, 'merged', {status: 'merged', merge_commit: merge.sha}, `merged ${merge.sha.slice(0, 7)} into ${base}`);
		}

		stage('verify');
		const halt = ctx.mergeHalt?.();
		if (halt) return {kind: 'interrupted', reason: `not verified: ${halt.split('\n')[0]}`, afterMerge: merged};
		const verdict = await verifyLive(ctx, id, attempt, mergeSha, verify, env, logFile);
		if (ctx.stopping()) return {kind: 'interrupted', reason: 'the engine stopped during verify', afterMerge: true};
		ctx.log.append({
			type: 'verify.result',
			ticket: id,
			attempt,
			ok: verdict.ok,
			tries: verdict.tries,
			...(verdict.ok ? {digest: verdict.digest} : {reason: verdict.reason}),
		});
		if (!verdict.ok) {
			throw new StageFailure('verify', `merged as ${mergeSha.slice(0, 7)} but live verification failed (the activation gap is work): ${verdict.reason}`);
		}
		ctx.log.append({type: 'ticket.done', ticket: id, attempt, mergeCommit: mergeSha, verifyDigest: verdict.digest});
		await recordDone(ctx, {ticket: id, attempt, merge: mergeSha, digest: verdict.digest});
		await ctx.writeTicket(
			id,
			'done',
			{status: 'done', merge_commit: mergeSha, verify_digest: `sha256:${verdict.digest}`, done_at: new Date().toISOString(), failure: undefined},
			'merged and verified live',
		);
		// Done is done: the dependents start now, the checkout goes meanwhile.
		ctx.chore(`removing ${id}'s checkout`, ctx.repo.removeWorktree(id));
		return {kind: 'done'};
	} catch (error) {
		if (ctx.stopping()) return {kind: 'interrupted', reason: 'the engine stopped mid-attempt', afterMerge: merged};
		if (error instanceof StageFailure) return {kind: 'failed', stage: error.stage, reason: error.reason, merged};
		// A full disk is not this ticket's failure: spending its attempts on it would mark it failed for nothing. This ends the run, to resume later.
		stopIfDiskFull(ctx, error);
		// Our own failure (git, disk) is still reported as this attempt's, with the cause.
		return {kind: 'failed', stage: 'prepare', reason: `proofloop error: ${(error as Error).message}`, merged};
	}
}
