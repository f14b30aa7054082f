// Small text helpers for the screen. Everything drawn comes from outside this
// process (agent output, ticket titles, engine messages), so it is cleaned
// before it reaches Ink: an escape sequence in a log line could move the
// cursor or switch modes and tear the layout apart.

import stringWidth from 'string-width';
import stripAnsi from 'strip-ansi';

// strip-ansi knows every escape a terminal acts on (CSI, OSC hyperlinks and titles, DCS and other strings);
// Node 20's util.stripVTControlCharacters leaves OSC payloads behind. Whatever it leaves of a broken
// sequence loses its ESC below with the other C0/C1 controls except tab (expanded first).
// eslint-disable-next-line no-control-regex -- control characters are what it removes
const controlPattern = /[\u0000-\u0008\u000A-\u001F\u007F-\u009F]/g;

// Invisible code points (joiners, variation selectors, BOM) and combining marks left after NFC: dropped,
// so the terminal and string-width agree on every character kept.
const zeroWidthPattern = /\p{Default_Ignorable_Code_Point}|\p{Mn}|\p{Me}/gu;

/** One line, safe to draw: no escape sequences, no control characters, tabs expanded, carriage returns resolved like a terminal would. */
export function cleanLine(text: string, maxLength = 2000): string {
	let line = text.endsWith('\r') ? text.slice(0, -1) : text;
	// A progress bar redraws itself with \r: what a terminal shows is what came last.
	const cr = line.lastIndexOf('\r');
	if (cr >= 0) line = line.slice(cr + 1);
	if (line.length > maxLength * 4) line = line.slice(0, maxLength * 4);
	line = stripAnsi(line).replace(/\t/g, '    ').replace(controlPattern, '');
	if (/[^\u0020-\u007E]/.test(line)) line = line.normalize('NFC').replace(zeroWidthPattern, '');
	return line.length > maxLength ? line.slice(0, maxLength) : line;
}

const graphemes = new Intl.Segmenter();
const printableAscii = /^[\u0020-\u007E]*$/;

/**
 * Cut a cleaned line to at most `width` cells, marking the cut with …. Not cli-truncate: it cuts a
 * wide character at the edge one cell too late ("ab日本" in 4 cells gives "ab日…", 5 cells).
 */
export function fitWidth(line: string, width: number): string {
	if (width <= 0) return '';
	// Printable ASCII (most log lines): one cell per character, no grapheme walk (a flood cuts thousands a second).
	if (printableAscii.test(line)) return line.length <= width ? line : `${line.slice(0, width - 1)}…`;
	if (stringWidth(line) <= width) return line;
	let out = '';
	let used = 0;
	for (const {segment} of graphemes.segment(line)) {
		const cells = stringWidth(segment);
		if (used + cells > width - 1) break;
		out += segment;
		used += cells;
	}
	return `${out}…`;
}

/** Short text from outside (a title, a reason): first line only, cleaned. */
export function cleanText(text: string, maxLength = 500): string {
	return cleanLine(text.split('\n')[0] ?? '', maxLength);
}

/** 75 -> "01:15", 3723 s -> "1:02:03". */
export function formatDuration(ms: number): string {
	const total = Math.max(0, Math.floor(ms / 1000));
	const h = Math.floor(total / 3600);
	const m = Math.floor((total % 3600) / 60);
	const s = total % 60;
	const mm = String(m).padStart(2, '0');
	const ss = String(s).padStart(2, '0');
	return h > 0 ? `${h}:${mm}:${ss}` : `${mm}:${ss}`;
}

/** "just now", "42s ago", "3m ago", "2h ago". */
export function formatAgo(ms: number): string {
	const s = Math.max(0, Math.floor(ms / 1000));
	if (s < 5) return 'just now';
	if (s < 60) return `${s}s ago`;
	if (s < 3600) return `${Math.floor(s / 60)}m ago`;
	return `${Math.floor(s / 3600)}h ago`;
}

/** Local wall-clock time of an ISO stamp, HH:MM:SS (or the raw text when it does not parse). */
export function formatClock(iso: string): string {
	const t = Date.parse(iso);
	if (Number.isNaN(t)) return cleanText(iso, 30);
	const d = new Date(t);
	return [d.getHours(), d.getMinutes(), d.getSeconds()].map(n => String(n).padStart(2, '0')).join(':');
}

export const plural = (n: number, word: string, many = `${word}s`): string => `${n} ${n === 1 ? word : many}`;
