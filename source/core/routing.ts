/**
 * Which engine profile runs a ticket's attempt: pure, from the config and the
 * ticket alone, so the engine (which logs it) and the attempt (which runs it)
 * always agree, across a restart too.
 */
import type {Ticket} from '../tracker/ticket.js';
import type {ProjectConfig} from './config.js';
import {knownProfiles, type RoutingRule} from './engines-config.js';

type RoutingInput = Pick<ProjectConfig, 'engines' | 'routing'>;
type Routed = Pick<Ticket, 'engine' | 'labels' | 'size'>;

/** Why a ticket runs on its ladder, for a person reading the log. */
export type Ladder = {profiles: string[]; why: string};

function matches(rule: RoutingRule, ticket: Routed): boolean {
	const labelled = rule.labels === undefined || rule.labels.some(label => ticket.labels?.includes(label));
	const sized = rule.sizes === undefined || (ticket.size !== undefined && rule.sizes.includes(ticket.size));
	return labelled && sized;
}

/** The ticket's ladder: its own `engine:`, else the first rule that matches, else the default ladder; none: the config's "agent". */
export function ladderOf(config: RoutingInput, ticket: Routed): Ladder | undefined {
	if (ticket.engine !== undefined) return {profiles: [ticket.engine], why: 'the ticket names it'};
	const index = config.routing.rules.findIndex(rule => matches(rule, ticket));
	const rule = config.routing.rules[index];
	if (rule) return {profiles: rule.ladder, why: `routing rule ${index + 1}`};
	if (config.routing.ladder) return {profiles: config.routing.ladder, why: 'the default ladder'};
	return undefined;
}

/** The profile of attempt `attempt` (1-based): the ladder's rung, the last one repeating; undefined: the config's "agent". */
export function profileFor(config: RoutingInput, ticket: Routed, attempt: number): string | undefined {
	const profiles = ladderOf(config, ticket)?.profiles;
	if (!profiles || profiles.length === 0) return undefined;
	return profiles[Math.min(Math.max(attempt, 1), profiles.length) - 1];
}

/** A ticket naming a profile the config does not define: the problem, with the file and the fix (none when it is fine). */
export function unknownEngineOf(config: RoutingInput, ticket: Routed & Pick<Ticket, 'id' | 'file'>): string | undefined {
	if (ticket.engine === undefined || config.engines[ticket.engine] !== undefined) return undefined;
	return (
		`${ticket.file}: ticket ${ticket.id} names engine '${ticket.engine}', which the config does not define (${knownProfiles(config)})\n` +
		`  fix: set "engine:" in ${ticket.file} to one of them, remove it, or define '${ticket.engine}' in "engines" in .proofloop/config.json`
	);
}

/** The profiles a run of these tickets may start: every rung of every ladder, and each profile a ticket names. */
export function profilesInUse(config: RoutingInput, tickets: ReadonlyArray<Pick<Ticket, 'engine'>>): string[] {
	const names = [
		...(config.routing.ladder ?? []),
		...config.routing.rules.flatMap(rule => rule.ladder),
		...tickets.flatMap(ticket => (ticket.engine === undefined ? [] : [ticket.engine])),
	];
	return [...new Set(names)].filter(name => config.engines[name] !== undefined);
}
