import type {EngineEvent} from './events.js';

/**
 * Cost per agent as the agents reported it. An agent that reported tokens but
 * never a cost (codex, gemini, a command agent) has no cost to show: "n/a", not
 * "$0.00", which would read as free.
 */
export type AgentCost = {agent: string; costUsd: number; tokens: number; reported: boolean};

/** What the fold keeps: the agent of each ticket's current attempt, and the totals per agent. */
export type CostFold = {agentOf: ReadonlyMap<string, string>; byAgent: ReadonlyMap<string, AgentCost>};

export const emptyCostFold: CostFold = {agentOf: new Map(), byAgent: new Map()};

export function costStep(fold: CostFold, e: EngineEvent): CostFold {
	if (e.type === 'attempt.started') return {...fold, agentOf: new Map(fold.agentOf).set(e.ticket, e.agent)};
	// Reviews and plan rounds are paid too: the totals add up to the ledger's (ledger.ts), what the report and the cost budget read.
	if ((e.type === 'review.result' || e.type === 'plan.result') && e.usage) return add(fold, e.type === 'review.result' ? 'reviewer' : 'planner + reviewer', e.usage);
	if (e.type !== 'agent.exited') return fold;
	return add(fold, fold.agentOf.get(e.ticket) ?? 'agent', e.usage);
}

function add(fold: CostFold, agent: string, usage: {inputTokens: number; outputTokens: number; costUsd: number}): CostFold {
	const was = fold.byAgent.get(agent) ?? {agent, costUsd: 0, tokens: 0, reported: false};
	const cost: AgentCost = {
		agent,
		costUsd: was.costUsd + usage.costUsd,
		tokens: was.tokens + usage.inputTokens + usage.outputTokens,
		reported: was.reported || usage.costUsd > 0,
	};
	return {...fold, byAgent: new Map(fold.byAgent).set(agent, cost)};
}

export function costByAgent(events: readonly EngineEvent[]): AgentCost[] {
	return [...events.reduce(costStep, emptyCostFold).byAgent.values()];
}

/** "$1.23", "cost n/a (codex)" when no agent reported a cost, or "$1.23 + n/a (codex)" when some did and some did not. */
export function formatCost(costs: readonly AgentCost[]): string {
	const reported = costs.filter(c => c.reported);
	const missing = costs.filter(c => !c.reported).map(c => c.agent);
	if (reported.length === 0) return missing.length > 0 ? `cost n/a (${missing.join(', ')})` : '$0.00';
	const total = `$${reported.reduce((sum, c) => sum + c.costUsd, 0).toFixed(2)}`;
	return missing.length > 0 ? `${total} + n/a (${missing.join(', ')})` : total;
}
