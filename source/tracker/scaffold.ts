import {ENGINE_KEYS} from '../core/owned-keys.js';
import {serializeValue} from './front-matter-write.js';
import {ticketSizes, ticketStatuses} from './ticket.js';

/**
 * A new ticket file with every field a person writes, each with a one-line
 * comment ("# ..." after the value, or a commented-out line for a field whose
 * absence means the config's default). The comments are the front-matter
 * subset's own, read by the one parser the tracker and the oracle share.
 */
export type TicketDraft = {
	id: string;
	title: string;
	batch: string;
	deps?: string[];
	locks?: string[];
	priority?: number;
	checks?: string[];
	verify?: string[];
	allow?: string[];
	labels?: string[];
	size?: string;
	engine?: string;
};

const COMMENT_COLUMN = 26;

const line = (key: string, value: unknown, comment: string): string => `${`${key}: ${serializeValue(key, value)}`.padEnd(COMMENT_COLUMN - 1)} # ${comment}`;

// Unset, a ticket takes the config's commands: written commented out, so the scaffold changes nothing until edited.
const optionalCommands = (key: 'checks' | 'verify', value: string[] | undefined, comment: string): string =>
	value === undefined ? `# ${`${key}: ["npm test"]`.padEnd(COMMENT_COLUMN - 3)} # ${comment}` : line(key, value, comment);

// Unset: a commented-out example, so the scaffold routes nothing until edited.
const optional = (key: string, value: string | undefined, example: string, comment: string): string =>
	value === undefined ? `# ${`${key}: ${example}`.padEnd(COMMENT_COLUMN - 3)} # ${comment}` : line(key, value, comment);

export function scaffoldTicket(draft: TicketDraft): string {
	return [
		'---',
		line('id', draft.id, 'unique; a letter, then letters, digits, _ . or -'),
		line('title', draft.title, 'one line: what changes'),
		line('status', 'todo', `${ticketStatuses.join(' | ')}; done only by the engine`),
		line('batch', draft.batch, 'a run takes the tickets whose batch is the config\'s "batch"'),
		line('deps', draft.deps ?? [], 'ids that must be done before this starts, e.g. [T-1, T-2]'),
		line('locks', draft.locks ?? [], 'capacity-1 resources it holds, e.g. [infra]: never two at once'),
		line('priority', draft.priority ?? 2, '0 (first) .. 4, after the critical path'),
		optionalCommands('checks', draft.checks, 'the finish line, in its worktree; unset: the config\'s "checks"'),
		optionalCommands('verify', draft.verify, 'live verification on the merged base; unset: the config\'s "verify"'),
		line('allow', draft.allow ?? [], 'protected paths a person lets this ticket change'),
		line('labels', draft.labels ?? [], 'words routing rules match on (config "routing"), e.g. [mechanical]'),
		optional('size', draft.size, 'M', `${ticketSizes.join(' | ')}: the size estimate routing rules may match on`),
		optional('engine', draft.engine, 'strong', 'an engine profile of the config\'s "engines" that runs every attempt'),
		`# ${'demo: |'.padEnd(COMMENT_COLUMN - 3)} # the built-in demo engine's recipe (JSON lines, indented); real agents ignore it`,
		`# ${'source: github#123'.padEnd(COMMENT_COLUMN - 3)} # the remote issue it is synced with; written by proofloop sync`,
		`# written by the engine only: ${[...ENGINE_KEYS, 'discovered_from', 'filed_by_run'].join(', ')}`,
		'---',
		'Scope: what to change and where it lands.',
		'',
		'Acceptance: what must be true when it is done.',
		'',
		'Test plan: how the checks above prove it.',
		'',
	].join('\n');
}

/** The next free id of the form T-<n>, after the highest one taken. */
export function nextTicketId(taken: Iterable<string>): string {
	let high = 0;
	for (const id of taken) {
		const n = /^T-(\d+)$/.exec(id)?.[1];
		if (n !== undefined) high = Math.max(high, Number(n));
	}
	return `T-${high + 1}`;
}
