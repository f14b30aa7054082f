import type {EngineEvent} from './events.js';

/**
 * Cost per agent as the agents reported it. An agent that reported tokens but
 * never a cost (codex, gemini, a command agent) has no cost to show: "n/a", not
 * "$0.00", which would read as free.
 */
export type AgentCost = {agent: string; costUsd: number; tokens: number; reported: boolean};

export function costByAgent(events: readonly EngineEvent[]): AgentCost[] {
	const agentOf = new Map<string, string>();
	const byAgent = new Map<string, AgentCost>();
	for (const e of events) {
		if (e.type === 'attempt.started') agentOf.set(e.ticket, e.agent);
		if (e.type !== 'agent.exited') continue;
		const agent = agentOf.get(e.ticket) ?? 'agent';
		const cost = byAgent.get(agent) ?? {agent, costUsd: 0, tokens: 0, reported: false};
		cost.costUsd += e.usage.costUsd;
		cost.tokens += e.usage.inputTokens + e.usage.outputTokens;
		cost.reported ||= e.usage.costUsd > 0;
		byAgent.set(agent, cost);
	}
	return [...byAgent.values()];
}

/** "$1.23", "n/a" (no agent reported a cost), or "$1.23 + n/a (codex)" when some did and some did not. */
export function formatCost(costs: readonly AgentCost[]): string {
	const reported = costs.filter(c => c.reported);
	const missing = costs.filter(c => !c.reported).map(c => c.agent);
	if (reported.length === 0) return missing.length > 0 ? `cost n/a (${missing.join(', ')})` : '$0.00';
	const total = `$${reported.reduce((sum, c) => sum + c.costUsd, 0).toFixed(2)}`;
	return missing.length > 0 ? `${total} + n/a (${missing.join(', ')})` : total;
}
