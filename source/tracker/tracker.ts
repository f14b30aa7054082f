import type {NewTicket, Ticket, TicketUpdate} from './ticket.js';

/** One problem found in the tracker, pointing at the place to fix it. */
export type TrackerIssue = {
	/** Repo-relative file path. */
	file: string;
	/** 1-based line number, when one place is to blame. */
	line?: number;
	/** What is wrong. */
	message: string;
	/** What to do about it. */
	fix: string;
};

/** Thrown by Tracker.load when any ticket is invalid; nothing is half-loaded. */
export class TrackerError extends Error {
	constructor(readonly issues: TrackerIssue[]) {
		super(issues.map(formatTrackerIssue).join('\n'));
		this.name = 'TrackerError';
	}
}

export function formatTrackerIssue(issue: TrackerIssue): string {
	const where = issue.line === undefined ? issue.file : `${issue.file}:${issue.line}`;
	return `${where}: ${issue.message}\n  fix: ${issue.fix}`;
}

/**
 * What the engine needs from a ticket store. The file tracker is the embedded
 * default; other adapters (backlog-md, beads, GitHub) implement the same.
 */
export interface Tracker {
	/** Human-readable location, e.g. ".proofloop/tickets". */
	readonly location: string;
	/** Load and validate every ticket (all batches). Throws TrackerError. */
	load(): Promise<Ticket[]>;
	/**
	 * Atomically write fields of one ticket. Only the engine calls this.
	 * `complete`, given the file's current front matter, adds fields to write
	 * (the engine's own keys an agent changed), decided on the very text replaced.
	 */
	update(id: string, fields: TicketUpdate, complete?: (current: Record<string, unknown>) => TicketUpdate): Promise<Ticket>;
	/** Check a new ticket would load cleanly, without writing anything; returns its file. Throws TrackerError. */
	prepareCreate(ticket: NewTicket): Promise<{file: string; text: string}>;
	/** Atomically create a ticket prepared by prepareCreate. Only the engine calls this. */
	create(prepared: {file: string; text: string}): Promise<void>;
	/** Repo-relative paths an agent's diff must never touch. */
	protectedPaths(): string[];
}
