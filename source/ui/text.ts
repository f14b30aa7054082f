// Small text helpers for the screen. Everything drawn comes from outside this
// process (agent output, ticket titles, engine messages), so it is cleaned
// before it reaches Ink: an escape sequence in a log line could move the
// cursor or switch modes and tear the layout apart.

// CSI (incl. private modes), OSC (ended by BEL or ST), DCS/SOS/PM/APC strings, then any other
// ESC sequence (charset designations, ESC 7/8, keypad modes), then the 8-bit CSI.
// eslint-disable-next-line no-control-regex
const ansiPattern = /\u001B\[[0-?]*[ -/]*[@-~]|\u001B\][^\u0007\u001B]*(?:\u0007|\u001B\\)?|\u001B[PX^_][^\u001B]*(?:\u001B\\)?|\u001B[ -/]*[0-~]|\u009B[0-?]*[ -/]*[@-~]/g;
// C0/C1 controls except tab (handled separately).
// eslint-disable-next-line no-control-regex
const controlPattern = /[\u0000-\u0008\u000A-\u001F\u007F-\u009F]/g;

// Zero-width code points (joiners, variation selectors, BOM) and combining marks
// left after NFC: dropped, so every character kept is one or two cells wide.
const zeroWidthPattern = /[\u200B-\u200F\u2060-\u2064\uFE00-\uFE0F\uFEFF]|\p{Mn}|\p{Me}/gu;

/** One line, safe to draw: no escape sequences, no control characters, tabs expanded, carriage returns resolved like a terminal would. */
export function cleanLine(text: string, maxLength = 2000): string {
	let line = text.endsWith('\r') ? text.slice(0, -1) : text;
	// A progress bar redraws itself with \r: what a terminal shows is what came last.
	const cr = line.lastIndexOf('\r');
	if (cr >= 0) line = line.slice(cr + 1);
	if (line.length > maxLength * 4) line = line.slice(0, maxLength * 4);
	line = line.replace(ansiPattern, '').replace(/\t/g, '    ').replace(controlPattern, '');
	if (/[^\u0020-\u007E]/.test(line)) line = line.normalize('NFC').replace(zeroWidthPattern, '');
	return line.length > maxLength ? line.slice(0, maxLength) : line;
}

/** Terminal cells a code point takes: 2 for East Asian wide/fullwidth and emoji, else 1 (cleanLine removed the zero-width ones). */
export function cellWidth(codePoint: number): number {
	if (codePoint < 0x1100) return 1;
	return (codePoint <= 0x115f ||
		(codePoint >= 0x2e80 && codePoint <= 0xa4cf && codePoint !== 0x303f) ||
		(codePoint >= 0xac00 && codePoint <= 0xd7a3) ||
		(codePoint >= 0xf900 && codePoint <= 0xfaff) ||
		(codePoint >= 0xfe30 && codePoint <= 0xfe4f) ||
		(codePoint >= 0xff00 && codePoint <= 0xff60) ||
		(codePoint >= 0xffe0 && codePoint <= 0xffe6) ||
		(codePoint >= 0x1f300 && codePoint <= 0x1f64f) ||
		(codePoint >= 0x1f900 && codePoint <= 0x1f9ff) ||
		(codePoint >= 0x20000 && codePoint <= 0x3fffd))
		? 2
		: 1;
}

/** Cut a cleaned line to at most `width` cells, marking the cut with …. */
export function fitWidth(line: string, width: number): string {
	if (width <= 0) return '';
	if (line.length <= width && !/[^\u0020-\u007E]/.test(line)) return line;
	let used = 0;
	let out = '';
	for (const char of line) {
		const cells = cellWidth(char.codePointAt(0) ?? 0);
		if (used + cells > width) {
			// Room for the ellipsis: drop characters until it fits.
			while (used + 1 > width && out.length > 0) {
				const last = [...out].at(-1) ?? '';
				out = out.slice(0, -last.length);
				used -= cellWidth(last.codePointAt(0) ?? 0);
			}
			return `${out}…`;
		}
		out += char;
		used += cells;
	}
	return out;
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
