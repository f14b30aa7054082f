/**
 * The merge commit's message is the durable marker that a ticket's attempt
 * landed: the oracle and a resumed engine look for these trailers on base.
 */

export type MergeMarker = {ticketId: string; attempt: number; title: string; workerHead: string};

export function mergeMessage(marker: MergeMarker): string {
	// The subject must stay one line or the trailers would not be the last paragraph.
	const title = marker.title.replace(/\s+/g, ' ').trim() || '(untitled)';
	return [
		`proofloop: merge ${marker.ticketId}: ${title}`,
		'',
		`Ticket: ${marker.ticketId}`,
		`Attempt: ${marker.attempt}`,
		`Worker-Head: ${marker.workerHead}`,
		'',
	].join('\n');
}

/**
 * The trailers of a commit message: "Key: value" lines of its last
 * paragraph, keys lower-cased (git treats trailer keys case-insensitively).
 */
export function parseTrailers(message: string): Map<string, string[]> {
	const paragraphs = message.trim().split(/\n[ \t]*\n/);
	const last = paragraphs.length > 1 ? (paragraphs.at(-1) ?? '') : '';
	const trailers = new Map<string, string[]>();
	for (const line of last.split('\n')) {
		const match = /^([A-Za-z0-9][A-Za-z0-9-]*):[ \t]*(.*)$/.exec(line.trimEnd());
		if (!match) continue;
		const key = match[1]!.toLowerCase();
		trailers.set(key, [...(trailers.get(key) ?? []), match[2]!.trim()]);
	}
	return trailers;
}

/** Whether a message carries exactly this ticket's and attempt's trailers. */
export function marksMerge(message: string, ticketId: string, attempt: number): boolean {
	const trailers = parseTrailers(message);
	return (trailers.get('ticket') ?? []).includes(ticketId) && (trailers.get('attempt') ?? []).includes(String(attempt));
}
