/**
 * The reviewers every change needs: the config's `reviewers`, or its single
 * `reviewer` (a list of one), each with a name for findings and logs.
 */
import type {AgentAdapter} from '../agents/adapter.js';
import type {AgentConfig} from '../agents/config.js';
import {createAdapter} from '../agents/registry.js';
import type {ProjectConfig} from './config.js';
import type {EngineContext} from './context.js';

export type NamedReviewer = {
	/** "reviewer" when there is one; else "reviewer N (type model)". */
	name: string;
	adapter: AgentAdapter;
};

/** The reviewers' configs, in order: `reviewers`, else `reviewer` as a list of one. */
export const reviewerConfigs = (config: Pick<ProjectConfig, 'reviewer' | 'reviewers'>): AgentConfig[] =>
	config.reviewers ?? (config.reviewer ? [config.reviewer] : []);

const made = new WeakMap<ProjectConfig, AgentAdapter[]>();

const describe = (agent: AgentConfig): string => ('model' in agent && agent.model ? `${agent.type} ${agent.model}` : agent.type);

/**
 * The run's reviewers. The first is the run's own reviewer adapter (start-run
 * makes it from the first config; a test may hand one in); the rest are made here, once.
 */
export function reviewersOf(ctx: Pick<EngineContext, 'config' | 'reviewer'>): NamedReviewer[] {
	if (!ctx.reviewer) return [];
	const configs = reviewerConfigs(ctx.config);
	if (configs.length <= 1) return [{name: 'reviewer', adapter: ctx.reviewer}];
	let adapters = made.get(ctx.config);
	if (!adapters) made.set(ctx.config, (adapters = configs.map((agent, i) => (i === 0 && ctx.reviewer ? ctx.reviewer : createAdapter(agent)))));
	return configs.map((agent, i) => ({name: `reviewer ${i + 1} (${describe(agent)})`, adapter: adapters[i]!}));
}
