import {z} from 'zod';
import {AgentConfig} from '../agents/config.js';

// `proofloop plan`'s settings, a part of the project config.
export const PlanConfig = z
	.object({
		planner: AgentConfig.optional().describe('The agent that writes the master and the breakdown, and runs the research. Default: the worker ("agent").'),
		researchers: z.number().int().min(0).max(8).default(3).describe('Research agents run in parallel, read-only, one per angle the planner names.'),
		rounds: z.number().int().min(1).max(10).default(3).describe('Breakdown rounds: the readiness lint and the reviewer may send the plan back this often.'),
		maxFiles: z.number().int().min(1).max(100).default(8).describe('The readiness lint refuses a ticket naming more files than this as too big.'),
		maxAcceptance: z.number().int().min(1).max(100).default(8).describe('Nor more acceptance criteria than this.'),
		maxTickets: z
			.number()
			.int()
			.min(1)
			.max(500)
			.default(30)
			.describe('The readiness lint refuses a breakdown of more sub-tickets than this: a backlog nobody asked for is not a plan.'),
	})
	.strict();
export type PlanConfig = z.infer<typeof PlanConfig>;
export const PLAN_DEFAULT = {researchers: 3, rounds: 3, maxFiles: 8, maxAcceptance: 8, maxTickets: 30};
