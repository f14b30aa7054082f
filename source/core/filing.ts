import {findCycle} from '../tracker/graph.js';
import type {Ticket} from '../tracker/ticket.js';
import type {ControlRequest} from './control.js';

export type FileRequest = Extract<ControlRequest, {type: 'file'}>;

/** The next free id in the filer's own series: T-3 files T-9 when T-8 is the highest T-. */
export function nextTicketId(from: string, existing: Iterable<string>): string {
	const match = /^(.*?)(\d+)$/.exec(from);
	const prefix = match ? match[1]! : `${from}-`;
	let highest = 0;
	for (const id of existing) {
		if (id.startsWith(prefix) && /^\d+$/.test(id.slice(prefix.length))) highest = Math.max(highest, Number(id.slice(prefix.length)));
	}
	return `${prefix}${highest + 1}`;
}

/**
 * Everything that must hold before a filing writes anything: a real filer, known
 * deps, declared locks, a blocked ticket that can still wait, and no cycle.
 * Returns the problem in words (with the fix), or undefined.
 */
export function checkFiling(opts: {
	request: FileRequest;
	newId: string;
	tickets: ReadonlyMap<string, Ticket>;
	inBatch: (id: string) => boolean;
	declaredLocks: readonly string[];
}): string | undefined {
	const {request, newId, tickets} = opts;
	if (!opts.inBatch(request.from)) return `the filer ${request.from} is not a ticket of this run's batch`;
	for (const dep of request.deps) {
		if (!tickets.has(dep)) return `--deps names ${dep}, which no ticket has\n  fix: use an existing id (or file ${dep} first)`;
	}
	for (const lock of request.locks) {
		if (!opts.declaredLocks.includes(lock))
			return `--locks names '${lock}', which .proofloop/config.json does not declare\n  fix: use one of: ${opts.declaredLocks.join(', ') || '(none declared)'}`;
	}
	if (request.blocks !== undefined) {
		const blocked = tickets.get(request.blocks);
		if (!blocked || !opts.inBatch(request.blocks)) return `--blocks names ${request.blocks}, which is not a ticket of this batch`;
		if (blocked.status === 'done') return `--blocks names ${request.blocks}, which is already done`;
	}
	const edges = new Map<string, readonly string[]>([...tickets].map(([id, t]) => [id, t.deps]));
	edges.set(newId, request.deps);
	if (request.blocks !== undefined) edges.set(request.blocks, [...(edges.get(request.blocks) ?? []), newId]);
	const cycle = findCycle(edges);
	if (cycle) return `filing ${newId} would close a dependency cycle: ${cycle.join(' -> ')}\n  fix: drop one of those edges (--deps or --blocks)`;
	return undefined;
}

/**
 * A run's cap on filed tickets (`maxFiledTickets`): an agent that files on every
 * attempt would grow the batch without end. Past it: the refusal the filer
 * reads, and the warning a person sees (once).
 */
export function filingCap(filed: number, max: number): {refusal: string; warning: string} | undefined {
	if (filed < max) return undefined;
	const fix = `a person raises maxFiledTickets in .proofloop/config.json if the work is real (it counts from the next \`proofloop run\`)`;
	return {
		refusal: `this run already filed ${filed} tickets, its cap (maxFiledTickets: ${max}); no more are filed\n  fix: ${fix}`,
		warning:
			`harness: agents reached the run's cap on filed tickets (maxFiledTickets: ${max}); every further \`proofloop ticket file\` is refused. ` +
			`A person is needed: look at the filed tickets; ${fix}`,
	};
}
