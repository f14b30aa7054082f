import type {Ticket, TicketUpdate} from '../tracker/ticket.js';

/**
 * `proofloop retry <id>`: a failed or blocked ticket goes back to todo with a
 * fresh budget. `proofloop reset <id>`: the same for any ticket not done,
 * merged or gated, and its branch and checkout are dropped too. Each is an
 * intervention (who, when, why); the ledger reads it to raise the budget.
 */
export type HumanTicketVerb = 'retry' | 'reset';

const retryable = new Set(['failed', 'blocked']);
const resettable = new Set(['failed', 'blocked', 'todo', 'in_progress']);

/** Why this verb cannot take this ticket, or undefined when it can. */
export function refusal(verb: HumanTicketVerb, ticket: Pick<Ticket, 'id' | 'status'> | undefined, id: string, running: boolean): string | undefined {
	if (!ticket) return `no ticket ${id} in this run's batch\n  fix: check the id (\`proofloop status\` lists the batch's tickets)`;
	if (running) return `${id} has an attempt running; fix: \`proofloop gate\` it, or wait for the attempt to end`;
	const allowed = verb === 'retry' ? retryable : resettable;
	if (allowed.has(ticket.status)) return undefined;
	const fix =
		ticket.status === 'todo' || ticket.status === 'in_progress'
			? `\`proofloop reset ${id}\` drops its branch and gives it a fresh budget`
			: ticket.status === 'human_gated'
				? `\`proofloop ungate ${id}\` gives it back to the loop`
				: 'nothing to redo: its work is merged';
	return verb === 'retry'
		? `${id} is ${ticket.status}: retry takes a failed or blocked ticket back to todo\n  fix: ${fix}`
		: `${id} is ${ticket.status}: reset takes a ticket that is not done, merged or human-gated\n  fix: ` +
				`${ticket.status === 'human_gated' ? fix : 'nothing to redo: its work is merged'}`;
}

/** The tracker fields a retry or reset writes: back to todo, the last failure and block cleared. */
export const backToTodo: TicketUpdate = {status: 'todo', failure: undefined, block: undefined};

export function verbMessage(verb: HumanTicketVerb, id: string): string {
	return verb === 'retry' ? `${id} is todo again with a fresh budget` : `${id} is reset: todo, a fresh budget, its branch and checkout dropped`;
}
