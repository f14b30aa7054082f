import {withAgentSlot} from '../core/agent-slots.js';
import {engineFor} from '../core/engines.js';
import type {AttemptExecutor} from './executor.js';

/**
 * agentCaps count a worker's agent as a local one: the cap is the account's
 * rate limit, wherever the agent runs. The slot is taken before the job exists
 * (no worker starts it meanwhile) and held until its result is back.
 */
export function withAgentCaps(executor: AttemptExecutor): AttemptExecutor {
	return {
		...executor,
		implement: (ctx, request) => {
			const {ticket, attempt, worktree} = request;
			const agent = engineFor(ctx, ticket, attempt).adapter.name;
			return withAgentSlot(ctx, {agent, role: 'worker', ticket: ticket.id, attempt}, async () => {
				// A stop, or a human's gate, came while it waited for a slot: no job.
				if (ctx.stopping() || !ctx.owns(ticket.id)) return {agent: undefined, branch: async () => worktree.branch, commitLeftovers: async () => undefined};
				return executor.implement(ctx, request);
			});
		},
	};
}
