import type {Ticket} from '../tracker/ticket.js';

// A ticket's own finish line (its checks and verify) and its `allow` list, as
// the run first saw them: when a person started or resumed it, or when a ticket
// joined the batch. One written mid-run (an unsandboxed agent can reach the main
// checkout's tickets) would move the finish line under the run: it is said out
// loud (run-watch.ts) and counts from the next `proofloop run`.

export type TicketPin = {checks?: string[]; verify?: string[]; allow: readonly string[]};

/** Where a run keeps its pins (RunDeps.pins): one map per run, by ticket id. */
export type RunPins = {pins: Map<string, TicketPin>};

const pinOf = (ticket: Ticket): TicketPin => ({
	...(ticket.checks ? {checks: ticket.checks} : {}),
	...(ticket.verify ? {verify: ticket.verify} : {}),
	allow: ticket.allow ?? [],
});

/** The pin's text, to tell a change. */
export const pinText = (pin: TicketPin): string => JSON.stringify({checks: pin.checks ?? null, verify: pin.verify ?? null, allow: pin.allow});

/** Pin every ticket not pinned yet (the first sight wins). */
export function pinTickets(ctx: RunPins, tickets: readonly Ticket[]): void {
	for (const ticket of tickets) if (!ctx.pins.has(ticket.id)) ctx.pins.set(ticket.id, pinOf(ticket));
}

/** What the run honours for this ticket (pinned now if the run had not seen it). */
export function pinnedTicket(ctx: RunPins, ticket: Ticket): TicketPin {
	pinTickets(ctx, [ticket]);
	return ctx.pins.get(ticket.id) ?? pinOf(ticket);
}

/** Every pin of the run (their commands keep their files protected even if a ticket file is edited). */
export function allPins(ctx: RunPins): TicketPin[] {
	return [...ctx.pins.values()];
}
