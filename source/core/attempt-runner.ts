import type {Ticket} from '../tracker/ticket.js';
import {runAttempt, type AttemptOutcome} from './attempt.js';
import type {EngineContext} from './context.js';
import type {EngineEvent} from './events.js';
import {startFresh} from './fresh-attempt.js';

/** One attempt of a ticket to its outcome (a unit test gives its own; the real one is git, agents and checks). */
export type AttemptRunner = (
	ctx: EngineContext,
	ticket: Ticket,
	attempt: number,
	previous: string[],
	events: readonly EngineEvent[],
	resume?: {mergeSha: string},
) => Promise<AttemptOutcome>;

/** A fresh branch from the newest base (an earlier attempt's work kept as a diff the prompt points to), then attempt.ts. */
export const realAttempt: AttemptRunner = async (ctx, ticket, attempt, previous, events, resume) => {
	const fresh = resume ? [] : await startFresh(ctx, ticket.id, events);
	return runAttempt(ctx, ticket, attempt, [...previous, ...fresh], resume);
};
