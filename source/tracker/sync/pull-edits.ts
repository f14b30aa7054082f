import {sha256} from '../../lib/sha256.js';
import {parseTicketCached} from '../validate.js';
import type {SyncState} from './state.js';

// A person's edit to a pulled ticket's title, locks or body is theirs: the next
// pull does not overwrite it with the remote's text, it names it. The engine
// never writes those parts (it writes status, evidence and filed deps), so a
// change there since the last pull is the person's.

/** Hash of the parts a pull writes and a person edits: title, locks, body. */
export function pulledPart(file: string, text: string): string {
	const parsed = parseTicketCached({file, text});
	if (!parsed.ok) return sha256(text);
	const {title, locks, body} = parsed.ticket;
	return sha256(JSON.stringify([title, [...locks].sort(), body.replace(/\r\n?/g, '\n').trimEnd()]));
}

/** True when the file's pulled part changed since the last pull wrote it (unknown before the first: false). */
export function editedSincePull(state: SyncState, file: string, text: string): boolean {
	const last = state.pulled[file];
	return last !== undefined && last !== pulledPart(file, text);
}
