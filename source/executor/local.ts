import {runWorker} from '../core/run-worker.js';
import {engineFor} from '../core/engines.js';
import type {EngineContext} from '../core/context.js';
import type {AttemptExecutor} from './executor.js';

/** Today's path: the agent runs on this machine, in the ticket's checkout, within the run's agent caps. */
export const localExecutor: AttemptExecutor = {
	kind: 'local',
	async implement(ctx, {ticket, attempt, promptFile, worktree, logFile}) {
		const adapter = engineFor(ctx, ticket, attempt).adapter;
		const agent = await runWorker(ctx, {id: ticket.id, attempt, promptFile, worktree: worktree.path, logFile, adapter});
		return {
			agent,
			branch: () => ctx.repo.currentBranch(worktree.path),
			commitLeftovers: message => ctx.repo.commitAll(worktree.path, message),
		};
	},
	close: async () => {},
};

/** The run's executor: the one start-run built from the config, else local (a test's engine). */
export const executorOf = (ctx: Pick<EngineContext, 'executor'>): AttemptExecutor => ctx.executor ?? localExecutor;
