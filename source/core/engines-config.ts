/**
 * The config's engine profiles and how tickets are routed to them: `engines`
 * names agent configs (a type with its model and effort), `routing` picks a
 * ladder of them per ticket, `reviewers` lists the reviewers every change needs.
 */
import {z} from 'zod';
import {AgentConfig} from '../agents/config.js';
import {TicketSize} from '../tracker/ticket.js';

const profileName = z.string().regex(/^[A-Za-z][A-Za-z0-9_.-]*$/, 'a profile name starts with a letter and holds letters, digits, "_", "." or "-"');
const ladder = z
	.array(z.string().min(1))
	.min(1)
	.describe('Engine profiles by name: attempt 1 runs on the first, attempt 2 on the second, ...; the last one runs every attempt after.');

export const EnginesConfig = z
	.record(profileName, AgentConfig)
	.default({})
	.describe(
		'Named engine profiles: an agent type with its model and effort, e.g. {"cheap": {"type": "codex", "model": "gpt-5.5", "effort": "low"}, ' +
			'"strong": {"type": "claude", "model": "opus", "effort": "high"}}. Routing picks them per ticket; a ticket may name one (`engine: strong`).',
	);

export const RoutingRule = z
	.object({
		labels: z.array(z.string().min(1)).min(1).optional().describe('Matches a ticket with any of these labels (`labels: [mechanical]`).'),
		sizes: z.array(TicketSize).min(1).optional().describe('Matches a ticket whose size estimate (`size: S`) is one of these.'),
		ladder,
	})
	.strict()
	.refine(rule => rule.labels !== undefined || rule.sizes !== undefined, 'a rule matches on "labels", "sizes" or both: give at least one');
export type RoutingRule = z.infer<typeof RoutingRule>;

export const RoutingConfig = z
	.object({
		ladder: ladder.optional().describe('The ladder of every ticket no rule matches. Unset: the "agent" runs them.'),
		rules: z.array(RoutingRule).default([]).describe('The first rule that matches a ticket gives its ladder (with both labels and sizes, both must match).'),
	})
	.strict()
	.default({rules: []})
	.describe(
		'Which engine profiles run a ticket: a ticket\'s own `engine:` runs all its attempts; else the first matching rule\'s ladder; else "ladder"; ' +
			'else the "agent". A ladder escalates: attempt 1 on its first profile, later attempts on the next (the last repeats).',
	);
export type RoutingConfig = z.infer<typeof RoutingConfig>;

export const ReviewersConfig = z
	.array(AgentConfig)
	.min(1)
	.optional()
	.describe(
		'Any number of reviewers (each a different CLI or model): a change merges only when every one approves, and the findings of all go to the next ' +
			'attempt. Replaces "reviewer" (a list of one); set one or the other.',
	);

type EngineFields = {engines: Record<string, AgentConfig>; routing: RoutingConfig};

/** Every profile name routing uses that `engines` does not define, as `field: problem` lines. */
export function unknownProfiles(config: EngineFields): string[] {
	const known = Object.keys(config.engines);
	const named: Array<[string, string[]]> = [
		['routing.ladder', config.routing.ladder ?? []],
		...config.routing.rules.map((rule, i): [string, string[]] => [`routing.rules.${i}.ladder`, rule.ladder]),
	];
	return named.flatMap(([field, names]) =>
		names.filter(name => !known.includes(name)).map(name => `${field}: no engine profile '${name}' (${knownProfiles(config)})`),
	);
}

export const knownProfiles = (config: {engines: Record<string, unknown>}): string =>
	Object.keys(config.engines).length > 0 ? `the profiles in "engines": ${Object.keys(config.engines).join(', ')}` : '"engines" defines no profile';
