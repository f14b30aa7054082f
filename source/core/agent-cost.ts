import type {EngineEvent} from './events.js';
import {buildLedger, type AgentSpend, type Ledger} from './ledger.js';

/** Cost per agent and role, folded by the one ledger (ledger.ts), most expensive first. */
export const agentCosts = (ledger: Ledger): AgentSpend[] => [...ledger.spend.values()].sort((a, b) => b.costUsd - a.costUsd || b.outputTokens - a.outputTokens);

export const costByAgent = (events: readonly EngineEvent[]): AgentSpend[] => agentCosts(buildLedger(events));

/** "$1.23", "cost n/a (codex)" when no agent reported a cost, or "$1.23 + n/a (codex)" when some did and some did not. */
export function formatCost(costs: readonly AgentSpend[]): string {
	const reported = costs.filter(c => c.reported);
	const missing = [...new Set(costs.filter(c => !c.reported).map(c => c.agent))];
	if (reported.length === 0) return missing.length > 0 ? `cost n/a (${missing.join(', ')})` : '$0.00';
	const total = `$${reported.reduce((sum, c) => sum + c.costUsd, 0).toFixed(2)}`;
	return missing.length > 0 ? `${total} + n/a (${missing.join(', ')})` : total;
}
