import type {EngineEvent} from '../events.js';

export type AgentCost = {agent: string; role: string; runs: number; inputTokens: number; outputTokens: number; costUsd: number};

/** What each agent spent, as the log's usage records say: workers by the agent each attempt ran, reviewers and planners by role. */
export function costByAgent(events: readonly EngineEvent[]): AgentCost[] {
	const agentOf = new Map<string, string>();
	const rows = new Map<string, AgentCost>();
	const add = (agent: string, role: string, usage: {inputTokens: number; outputTokens: number; costUsd: number}) => {
		const key = `${agent}\0${role}`;
		const row = rows.get(key) ?? {agent, role, runs: 0, inputTokens: 0, outputTokens: 0, costUsd: 0};
		row.runs += 1;
		row.inputTokens += usage.inputTokens;
		row.outputTokens += usage.outputTokens;
		row.costUsd += usage.costUsd;
		rows.set(key, row);
	};
	for (const e of events) {
		if (e.type === 'attempt.started') agentOf.set(`${e.ticket}#${e.attempt}`, e.agent);
		else if (e.type === 'agent.exited') add(agentOf.get(`${e.ticket}#${e.attempt}`) ?? 'worker', 'worker', e.usage);
		else if (e.type === 'review.result' && e.usage) add('reviewer', 'review', e.usage);
		else if (e.type === 'plan.result' && e.usage) add('planner + reviewer', 'plan', e.usage);
	}
	return [...rows.values()].sort((a, b) => b.costUsd - a.costUsd || b.outputTokens - a.outputTokens);
}
