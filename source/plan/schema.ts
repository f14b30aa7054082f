/**
 * What the plan's agents answer, as zod schemas: the master (the requirement
 * in plain words and the angles to research), a researcher's findings, and
 * the breakdown into sub-tickets. Lenient where the readiness lint is strict:
 * a ticket without acceptance must parse, so the lint can refuse it by name.
 */
import {z} from 'zod';
import {TicketSize} from '../tracker/ticket.js';

const text = z.string().trim().min(1);
const list = z.array(text).default([]);

export const MasterDraft = z.object({
	title: text,
	requirement: text,
	context: list,
	openQuestions: list,
	outOfScope: list,
	/** Whole-requirement acceptance: what the master ticket's own end-to-end check proves. */
	acceptance: list,
	/** One research question per researcher, e.g. "where the metrics are emitted". */
	angles: z.array(text).min(1, 'the master names at least one angle to research'),
	/** The commands of the master's own end-to-end check, when the repository's defaults do not fit. */
	checks: z.array(text).optional(),
	/** The built-in demo engine's recipe for the master's own end-to-end check; a real planner leaves it out. */
	demo: z.string().optional(),
});
export type MasterDraft = z.infer<typeof MasterDraft>;

export const Findings = z.object({
	angle: text,
	findings: z
		.array(
			z.object({
				text,
				/** Where it was seen: "path/to/file.ts:42" or "path/to/file.ts". */
				cites: z.array(text).min(1, 'a finding cites at least one file'),
			}),
		)
		.default([]),
});
export type Findings = z.infer<typeof Findings>;

/** A file a ticket's change lands in: "path" or "path:symbol"; `create` when the ticket makes it. */
export const FileHook = z.union([text.transform(path => ({path, create: false})), z.object({path: text, create: z.boolean().default(false)})]);

export const PlannedTicket = z.object({
	/** The planner's own key, local to the plan; the written ticket gets the tracker's next id. */
	key: z.string().regex(/^[A-Za-z][A-Za-z0-9_.-]*$/, 'a key starts with a letter and holds letters, digits, "_", "." or "-"'),
	title: text,
	scope: z.string().default(''),
	acceptance: list,
	files: z.array(FileHook).default([]),
	deps: list,
	locks: list,
	testPlan: list,
	checks: z.array(text).optional(),
	openQuestions: list,
	/** The planner's estimate and labels, which the config's routing rules match on (a cheap engine for mechanical work). */
	size: TicketSize.optional(),
	labels: z.array(text).optional(),
	/** The built-in demo engine's recipe (JSON lines); a real planner leaves it out. */
	demo: z.string().optional(),
});
export type PlannedTicket = z.infer<typeof PlannedTicket>;

export const Breakdown = z.object({tickets: z.array(PlannedTicket).min(1, 'a breakdown has at least one ticket')});
export type Breakdown = z.infer<typeof Breakdown>;
