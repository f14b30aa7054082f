/**
 * Which tickets a batch leaves out, and why: a ticket with no `batch:` key (or
 * one that names another batch) is silently not run, so `run` and `doctor`
 * say so, grouped by reason, with the fix for the unassigned ones.
 */
type Batched = {id: string; batch?: string | undefined};

const SHOWN = 10;

const ids = (tickets: Batched[]): string =>
	tickets
		.slice(0, SHOWN)
		.map(t => t.id)
		.join(', ') + (tickets.length > SHOWN ? ` and ${tickets.length - SHOWN} more` : '');

/** One line per reason (no batch key; each other batch), or [] when every ticket is in the batch. */
export function outsideBatch(tickets: readonly Batched[], batch: string): string[] {
	const unassigned = tickets.filter(t => t.batch === undefined);
	const others = new Map<string, Batched[]>();
	for (const t of tickets) if (t.batch !== undefined && t.batch !== batch) others.set(t.batch, [...(others.get(t.batch) ?? []), t]);
	return [
		...(unassigned.length > 0 ? [`no batch: key (never run; add 'batch: ${batch}' to run it here): ${ids(unassigned)}`] : []),
		...[...others.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([name, list]) => `batch '${name}': ${ids(list)}`),
	];
}

/** The whole note, or undefined when nothing lies outside. */
export function outsideBatchNote(tickets: readonly Batched[], batch: string): string | undefined {
	const lines = outsideBatch(tickets, batch);
	if (lines.length === 0) return undefined;
	const count = tickets.filter(t => t.batch !== batch).length;
	return `${count} ticket${count === 1 ? '' : 's'} outside batch '${batch}':\n${lines.map(line => `  ${line}`).join('\n')}`;
}
