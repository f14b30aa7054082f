import type {z} from 'zod';
import {parseFrontMatter, unknownTicketKeys} from '../../oracle/oracle.mjs';
import {findCycle} from './graph.js';
import {TicketFrontMatter, ticketStatuses, type Ticket} from './ticket.js';
import type {TrackerIssue} from './tracker.js';

// Turning ticket files into Tickets, and every way that can go wrong into an
// issue with a file, a line and a fix. Pure: no file system here.

export type TicketFile = {
	/** Repo-relative path. */
	file: string;
	text: string;
};

type Parsed = {file: string; ticket: Ticket; keyLines: Record<string, number>};

const FIXES: Record<string, string> = {
	id: 'give the ticket an id such as T-1 (a letter, then letters, digits, "_", "." or "-")',
	title: 'add a one-line title, e.g. title: Fix the login timeout',
	deps: 'write deps as a list: deps: [T-1, T-2]',
	locks: 'write locks as a list: locks: [infra]',
	checks: 'write checks as a list of commands: checks: ["npm test"]',
	verify: 'write verify as a list of commands: verify: ["./scripts/verify.sh"]',
	priority: 'use an integer from 0 (highest) to 4',
	gate: 'write gate as gate: {by: alice, at: "2026-01-01T00:00:00Z", reason: "why"}',
	merge_commit: 'merge_commit is evidence written by the engine: a full 40-hex commit sha',
};

/** Parse and validate one ticket file on its own (no cross-ticket checks). */
export function parseTicket({
	file,
	text,
}: TicketFile):
	| {ok: true; ticket: Ticket; keyLines: Record<string, number>}
	| {ok: false; issues: TrackerIssue[]; /** The id, when the front matter at least names one. */ id?: string} {
	const parsed = parseFrontMatter(text);
	if (!parsed.ok) return {ok: false, issues: [{file, line: parsed.line, message: parsed.message, fix: parsed.fix}]};
	// The oracle's own check, so the two refuse the same keys with the same words.
	const unknown = unknownTicketKeys(parsed.data, parsed.keyLines);
	if (unknown.length > 0) {
		const id = parsed.data['id'];
		return {ok: false, issues: unknown.map(({line, message, fix}) => ({file, line, message, fix})), ...(typeof id === 'string' ? {id} : {})};
	}
	const result = TicketFrontMatter.safeParse(parsed.data);
	if (!result.success) {
		const id = parsed.data['id'];
		return {
			ok: false,
			issues: result.error.issues.map(issue => schemaIssue(file, issue, parsed.data, parsed.keyLines)),
			...(typeof id === 'string' ? {id} : {}),
		};
	}
	return {ok: true, ticket: {...result.data, file, body: parsed.body, text}, keyLines: parsed.keyLines};
}

function schemaIssue(file: string, issue: z.core.$ZodIssue, data: Record<string, unknown>, keyLines: Record<string, number>): TrackerIssue {
	const key = typeof issue.path[0] === 'string' ? issue.path[0] : undefined;
	if (key === undefined) return {file, line: 1, message: issue.message, fix: 'write the front matter as key: value lines'};
	if (!Object.hasOwn(data, key)) {
		return {file, line: 1, message: `missing '${key}'`, fix: FIXES[key] ?? `add a line '${key}: ...' to the front matter`};
	}
	const line = keyLines[key] ?? 1;
	if (key === 'status') {
		return {file, line, message: `unknown status ${JSON.stringify(data['status'])}`, fix: `use one of: ${ticketStatuses.join(', ')}`};
	}
	const where = issue.path.map((part, i) => (typeof part === 'number' ? `[${part}]` : i === 0 ? String(part) : `.${String(part)}`)).join('');
	return {file, line, message: `'${where}': ${issue.message}`, fix: FIXES[key] ?? `correct the value of '${key}'`};
}

/**
 * Validate a whole tracker: every file, then ids, deps and cycles across
 * files. Returns every issue found, not just the first.
 */
// The engine re-reads the tracker on every settlement; a file whose text has
// not changed parses to the same result, so keep it (bounded: a long run with
// many filings must not grow this without limit).
const parsedCache = new Map<string, ReturnType<typeof parseTicket>>();
const PARSED_CACHE_MAX = 10_000;

export function parseTicketCached(file: TicketFile): ReturnType<typeof parseTicket> {
	const key = `${file.file}\0${file.text}`;
	const hit = parsedCache.get(key);
	if (hit) return hit;
	const result = parseTicket(file);
	if (parsedCache.size >= PARSED_CACHE_MAX) parsedCache.clear();
	parsedCache.set(key, result);
	return result;
}

export function validateTickets(files: readonly TicketFile[]): {tickets: Ticket[]; issues: TrackerIssue[]} {
	const issues: TrackerIssue[] = [];
	const good: Parsed[] = [];
	// Ids of invalid tickets still count as known deps; a file without a
	// readable id makes every id uncertain.
	const invalidIds = new Set<string>();
	let unreadable = false;
	const byId = new Map<string, Parsed>();
	for (const file of files) {
		const result = parseTicketCached(file);
		if (!result.ok) {
			issues.push(...result.issues);
			if (result.id === undefined) unreadable = true;
			else invalidIds.add(result.id);
			continue;
		}
		const entry = {file: file.file, ticket: result.ticket, keyLines: result.keyLines};
		const first = byId.get(entry.ticket.id);
		if (first) {
			issues.push({
				file: entry.file,
				line: entry.keyLines['id'],
				message: `duplicate id '${entry.ticket.id}' (also in ${first.file})`,
				fix: 'give one of the two tickets a new id',
			});
			continue;
		}
		byId.set(entry.ticket.id, entry);
		good.push(entry);
	}
	issues.push(...dependencyIssues(good, byId, id => unreadable || invalidIds.has(id)));
	return {tickets: good.map(entry => entry.ticket), issues};
}

// "Unknown dependency" is reported only when it is certain: not while the dep
// names an invalid ticket, nor while some file's id cannot be read at all.
function dependencyIssues(tickets: Parsed[], byId: Map<string, Parsed>, maybeKnown: (id: string) => boolean): TrackerIssue[] {
	const issues: TrackerIssue[] = [];
	const edges = new Map<string, string[]>();
	for (const {file, ticket, keyLines} of tickets) {
		const line = keyLines['deps'];
		const deps: string[] = [];
		for (const dep of ticket.deps) {
			if (dep === ticket.id) {
				issues.push({file, line, message: `ticket ${dep} depends on itself`, fix: `remove ${dep} from its own deps`});
			} else if (byId.has(dep)) {
				deps.push(dep);
			} else if (!maybeKnown(dep)) {
				issues.push({file, line, message: `unknown dependency '${dep}'`, fix: `add a ticket with id ${dep} or remove ${dep} from deps`});
			}
		}
		edges.set(ticket.id, deps);
	}
	// Report every independent cycle: break each found one and look again.
	for (let cycle = findCycle(edges); cycle; cycle = findCycle(edges)) {
		const [from, to] = cycle as [string, string];
		const first = byId.get(from);
		issues.push({
			file: first?.file ?? from,
			line: first?.keyLines['deps'],
			message: `dependency cycle: ${cycle.join(' -> ')}`,
			fix: 'remove one of these dependencies',
		});
		edges.set(
			from,
			(edges.get(from) ?? []).filter(dep => dep !== to),
		);
	}
	return issues;
}
