/**
 * The adapter that runs an attempt: the routed engine profile's (routing.ts),
 * else the run's own worker adapter. Adapters are made once per config.
 */
import type {AgentAdapter} from '../agents/adapter.js';
import {createAdapter} from '../agents/registry.js';
import type {Ticket} from '../tracker/ticket.js';
import type {ProjectConfig} from './config.js';
import type {EngineContext} from './context.js';
import {InputError} from './input-error.js';
import {profileFor, unknownEngineOf} from './routing.js';

export type AttemptEngine = {
	adapter: AgentAdapter;
	/** The profile's name; absent: the config's "agent" runs it. */
	profile?: string;
};

const made = new WeakMap<ProjectConfig, Map<string, AgentAdapter>>();

function profileAdapter(config: ProjectConfig, name: string): AgentAdapter | undefined {
	const agent = config.engines[name];
	if (!agent) return undefined;
	let adapters = made.get(config);
	if (!adapters) made.set(config, (adapters = new Map<string, AgentAdapter>()));
	let adapter = adapters.get(name);
	if (!adapter) adapters.set(name, (adapter = createAdapter(agent)));
	return adapter;
}

type Routed = Pick<Ticket, 'id' | 'engine' | 'labels' | 'size'>;

/** The engine of the ticket's attempt. A profile the config lacks (a ticket edited mid-run) falls back to the "agent" (see attemptStartEngine). */
export function engineFor(ctx: Pick<EngineContext, 'config' | 'adapter'>, ticket: Routed, attempt: number): AttemptEngine {
	const profile = profileFor(ctx.config, ticket, attempt);
	const adapter = profile === undefined ? undefined : profileAdapter(ctx.config, profile);
	return adapter && profile !== undefined ? {adapter, profile} : {adapter: ctx.adapter};
}

/** What `attempt.started` records of the engine (the agent type, and the profile), warning once when a ticket names a profile the config lacks. */
export function attemptStartEngine(
	ctx: Pick<EngineContext, 'config' | 'adapter' | 'log'>,
	ticket: Routed & Pick<Ticket, 'file'>,
	attempt: number,
): {agent: string; engine?: string} {
	const unknown = unknownEngineOf(ctx.config, ticket);
	if (unknown) ctx.log.append({type: 'warning', ticket: ticket.id, message: `${unknown.split('\n')[0]}; the "agent" runs attempt ${attempt}`});
	const {adapter, profile} = engineFor(ctx, ticket, attempt);
	return {agent: adapter.name, ...(profile === undefined ? {} : {engine: profile})};
}

/** Before anything is written: every ticket of the batch that names an engine must name a defined profile (bad input otherwise). */
export function refuseUnknownEngines(config: ProjectConfig, tickets: ReadonlyArray<Routed & Pick<Ticket, 'file'>>): void {
	const problems = tickets.flatMap(ticket => unknownEngineOf(config, ticket) ?? []);
	if (problems.length > 0) throw new InputError(problems.join('\n'));
}
