import {z} from 'zod';

// The statuses a ticket can hold. Only the engine writes merged/done (with
// evidence); only a human's control action writes human_gated.
export const ticketStatuses = ['todo', 'in_progress', 'blocked', 'merged', 'done', 'human_gated', 'failed'] as const;
export const TicketStatus = z.enum(ticketStatuses);
export type TicketStatus = z.infer<typeof TicketStatus>;

export const GateRecord = z.object({
	by: z.string().min(1),
	at: z.string().min(1),
	reason: z.string().min(1),
});
export type GateRecord = z.infer<typeof GateRecord>;

const commandList = z.array(z.string().min(1));

/** A ticket's size estimate (a plan's, or a person's), which routing rules may match on. */
export const ticketSizes = ['XS', 'S', 'M', 'L', 'XL'] as const;
export const TicketSize = z.enum(ticketSizes);

// The front matter of one ticket file. A closed set: an unknown key is refused
// (with the closest known one) by the oracle's check before this schema runs,
// and the oracle's TICKET_KEYS must list exactly these keys (a test holds them equal).
export const TicketFrontMatter = z
	.object({
		id: z.string().regex(/^[A-Za-z][A-Za-z0-9_.-]*$/, 'an id starts with a letter and holds letters, digits, "_", "." or "-"'),
		title: z.string().min(1),
		status: TicketStatus,
		batch: z.string().min(1).optional(),
		deps: z.array(z.string().min(1)).default([]),
		locks: z.array(z.string().min(1)).default([]),
		priority: z.number().int().min(0).max(4).default(2),
		checks: commandList.optional(),
		verify: commandList.optional(),
		// The built-in demo engine's recipe (JSON lines); ignored by real agents.
		demo: z.string().optional(),
		// Routing (config engines/routing): the engine profile that runs every attempt, the labels and size estimate rules match on.
		engine: z.string().min(1).optional(),
		labels: z.array(z.string().min(1)).optional(),
		size: TicketSize.optional(),
		// Evidence, written by the engine only.
		merge_commit: z
			.string()
			.regex(/^[0-9a-f]{40}$/)
			.optional(),
		verify_digest: z.string().optional(),
		done_at: z.string().optional(),
		attempts: z.number().int().min(0).optional(),
		failure: z.string().optional(),
		gate: GateRecord.optional(),
		// Paths a person lets this ticket's diff change although the guard protects them (a verify script, a test).
		allow: z.array(z.string().min(1)).optional(),
		// Discovered work: the ticket a worker filed this one from, and the run it happened in.
		discovered_from: z.string().optional(),
		filed_by_run: z.string().optional(),
		// A blocked claim that stood: the external wall, what was tried, where the evidence is.
		block: z.object({wall: z.string(), tried: z.string(), evidence: z.string(), at: z.string()}).optional(),
		// The remote issue this ticket is synced with (`proofloop sync`): github#123, linear:ENG-42.
		source: z
			.string()
			.regex(/^[a-z]+[#:][A-Za-z0-9][A-Za-z0-9_./-]*$/, 'a source is a tracker and an issue, e.g. github#123 or linear:ENG-42')
			.optional(),
	})
	.strict();
export type TicketFrontMatter = z.infer<typeof TicketFrontMatter>;

// A ticket as loaded from the tracker: front matter + where it came from.
export type Ticket = TicketFrontMatter & {
	/** Path of the ticket file relative to the repo root. */
	readonly file: string;
	/** Markdown body after the front matter. */
	readonly body: string;
	/** The whole file text (what an agent is shown). */
	readonly text: string;
};

// Fields the engine may write back.
export type TicketUpdate = Partial<
	Pick<TicketFrontMatter, 'status' | 'merge_commit' | 'verify_digest' | 'done_at' | 'attempts' | 'failure' | 'gate' | 'deps' | 'block'>
>;

/** A new ticket, as the engine files it for a worker. */
export type NewTicket = {
	id: string;
	title: string;
	batch: string;
	deps: string[];
	locks: string[];
	discovered_from: string;
	filed_by_run: string;
	body: string;
};
