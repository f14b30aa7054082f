import {mkdirSync, writeFileSync} from 'node:fs';
import path from 'node:path';
import {runGit} from '../git/run.js';
import type {EngineContext} from './context.js';
import type {EngineEvent} from './events.js';

/**
 * Every attempt starts on a fresh branch from the newest base: what an earlier
 * attempt committed (in this run or an earlier one) is saved as a diff in the
 * run directory and its branch and checkout are dropped, so no attempt
 * inherits commits. The prompt points at the diff; the worker may reuse it.
 * A parked attempt is the exception: it resumes its own work on its branch.
 */

/** Where an attempt's work is kept once its branch is dropped (`<run>/attempts/<ticket>/<n>.diff`). */
export function savedDiffFile(runDir: string, ticket: string, attempt: number | 'earlier'): string {
	return path.join(runDir, 'attempts', ticket, `${attempt}.diff`);
}

/** The attempt before the one just started (undefined: none in this run), and whether it was parked. */
export function previousAttempt(events: readonly EngineEvent[], ticket: string): {attempt?: number; parked: boolean} {
	const starts: number[] = [];
	let lastSettle: string | undefined;
	let settledBeforeCurrent: string | undefined;
	for (const e of events) {
		if (!('ticket' in e) || e.ticket !== ticket) continue;
		if (e.type === 'attempt.started') {
			starts.push(e.attempt);
			settledBeforeCurrent = lastSettle;
		}
		if (e.type === 'attempt.parked' || e.type === 'attempt.failed' || e.type === 'attempt.interrupted' || e.type === 'attempt.limited') lastSettle = e.type;
	}
	const attempt = starts.at(-2);
	return {...(attempt === undefined ? {} : {attempt}), parked: settledBeforeCurrent === 'attempt.parked'};
}

/**
 * Saves what the ticket's branch holds beyond base (committed, and what a
 * killed agent left uncommitted in its checkout), then drops the branch and
 * the checkout. Returns the prompt notes; a git failure is a warning, and the
 * careful prepare path takes over.
 */
export async function startFresh(ctx: EngineContext, ticket: string, events: readonly EngineEvent[]): Promise<string[]> {
	const previous = previousAttempt(events, ticket);
	if (previous.parked) return [];
	const branch = ctx.repo.branchName(ticket);
	if (!(await ctx.repo.branchExists(branch))) return [];
	const notes: string[] = [];
	try {
		// git's output comes back without its final newline, which `git apply` needs.
		const raw = await branchDiff(ctx, ticket, branch);
		const diff = raw.endsWith('\n') ? raw : `${raw}\n`;
		if (diff.trim() !== '') {
			const file = savedDiffFile(ctx.run.dir, ticket, previous.attempt ?? 'earlier');
			mkdirSync(path.dirname(file), {recursive: true});
			writeFileSync(file, diff);
			const whose = previous.attempt === undefined ? 'An earlier run' : `Attempt ${previous.attempt}`;
			notes.push(
				`${whose} left work that is NOT on your branch (you start fresh from the newest ${ctx.config.base}); its diff is saved at ${file}. Read it, ` +
					`reuse what was good (\`git apply --3way ${file}\`), fix what failed.`,
			);
		}
		await ctx.repo.removeWorktree(ticket);
	} catch (error) {
		ctx.log.append({type: 'warning', ticket, message: `could not start ${ticket} on a fresh branch: ${(error as Error).message}`});
	}
	return notes;
}

/** The branch's own work against the base it started from, with a live checkout's uncommitted leftovers. */
async function branchDiff(ctx: EngineContext, ticket: string, branch: string): Promise<string> {
	const root = ctx.repo.root;
	const mergeBase = (await runGit(root, ['merge-base', `refs/heads/${ctx.config.base}`, `refs/heads/${branch}`])).stdout.trim();
	if (mergeBase === '') return '';
	const checkout = ctx.repo.worktreePath(ticket);
	if ((await ctx.repo.currentBranch(checkout).catch(() => undefined)) === branch) {
		// The checkout is dropped next: staging its leftovers there costs nothing and keeps them in the diff.
		if ((await runGit(checkout, ['add', '-A'])).exitCode === 0) {
			const staged = await runGit(checkout, ['diff', '--cached', '--binary', mergeBase]);
			if (staged.exitCode === 0) return staged.stdout;
		}
	}
	return (await runGit(root, ['diff', '--binary', mergeBase, `refs/heads/${branch}`])).stdout;
}
