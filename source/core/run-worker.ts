import type {AgentAdapter} from '../agents/adapter.js';
import {runAgent, type AgentRunResult} from '../agents/runner.js';
import {timerDelay} from '../lib/timer.js';
import {withAgentSlot} from './agent-slots.js';
import {agentEnv, budgetOf, type EngineContext} from './context.js';

// `adapter`: the attempt's routed engine (engines.ts); absent: the run's worker.
type WorkerRun = {id: string; attempt: number; promptFile: string; worktree: string; logFile: string; adapter?: AgentAdapter};

/**
 * The implement stage's agent: within its type's cap (agentCaps), with its own
 * worker channel, boxed and timed; undefined when a stop or a gate came while it waited for a slot.
 */
export async function runWorker(
	ctx: EngineContext,
	{id, attempt, promptFile, worktree, logFile, adapter = ctx.adapter}: WorkerRun,
): Promise<AgentRunResult | undefined> {
	// Silence is shown, not punished: one event when the worker has said nothing for stallMinutes.
	const stallMs = ctx.config.stallMinutes * 60_000;
	let stallTimer: NodeJS.Timeout | undefined;
	const armStall = () => {
		clearTimeout(stallTimer);
		stallTimer = setTimeout(() => ctx.log.append({type: 'agent.stalled', ticket: id, attempt, silentSeconds: Math.round(stallMs / 1000)}), timerDelay(stallMs));
	};
	try {
		// Waiting for a slot is not silence.
		return await withAgentSlot(ctx, {agent: adapter.name, role: 'worker', ticket: id, attempt}, async () => {
			if (ctx.stopping() || !ctx.owns(id)) return undefined;
			armStall();
			// Its own worker channel, alive while the agent runs (its requests answered before it closes).
			const channel = await ctx.workerChannel(id, attempt);
			try {
				return await runAgent({
					onEvent: armStall,
					adapter,
					input: {ticketId: id, attempt, maxAttempts: budgetOf(ctx, id), promptFile, worktree},
					// Allow-listed, and boxed: checks and verify get the run's full environment, the agent does not.
					env: {...agentEnv(ctx, id, attempt), PROOFLOOP_CONTROL: channel.socket},
					...(ctx.sandbox ? {sandbox: {...ctx.sandbox, socket: channel.socket}} : {}),
					logFile,
					timeoutMs: ctx.config.attemptTimeoutSeconds * 1000,
					onSpawn: pid => ctx.log.append({type: 'agent.spawned', ticket: id, attempt, pid}),
				});
			} finally {
				await channel.close();
			}
		});
	} finally {
		clearTimeout(stallTimer);
	}
}
