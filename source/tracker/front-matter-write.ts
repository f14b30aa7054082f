import {parseFrontMatter} from '../../oracle/oracle.mjs';

// Surgical edits of ticket front matter. Humans own these files, so the engine
// rewrites only the lines of the keys it sets; every other line, comment and
// the order of keys stay byte-for-byte. Every value written is checked to read
// back (with the oracle's own parser) as exactly what was meant.

const KEY = /^[A-Za-z_][A-Za-z0-9_-]*$/;

/**
 * Set (or, with `undefined`, remove) top-level front-matter keys. Existing keys
 * are replaced in place (the key line plus its indented continuation lines);
 * new keys go just before the closing `---`, in the order given.
 */
export function setFrontMatterFields(text: string, fields: Record<string, unknown>): string {
	const parsed = parseFrontMatter(text);
	if (!parsed.ok) throw new Error(`cannot edit front matter: line ${parsed.line}: ${parsed.message}`);
	const lines = text.split('\n');
	const cr = lines[0]?.endsWith('\r') ? '\r' : '';
	const close = lines.findIndex((line, i) => i > 0 && line.replace(/\r$/, '') === '---');

	// start line index -> [end index (exclusive), replacement lines]
	const edits = new Map<number, [number, string[]]>();
	const added: string[] = [];
	for (const [key, value] of Object.entries(fields)) {
		if (!KEY.test(key)) throw new Error(`cannot write front-matter key '${key}': keys are letters, digits, _ and -`);
		const keyLine = parsed.keyLines[key];
		// null is a cleared key too (how the event log keeps one: owned-keys.ts loggedFields).
		const line = value === undefined || value === null ? undefined : `${key}: ${serializeValue(key, value)}`;
		if (keyLine === undefined) {
			if (line !== undefined) added.push(line + cr);
			continue;
		}
		const start = keyLine - 1;
		const end = spanEnd(lines, start, close);
		const replacement = line === undefined ? [] : [keepComment(lines[start] ?? '', key, parsed.data[key], line) + cr];
		edits.set(start, [end, replacement]);
	}

	const out: string[] = [];
	for (let i = 0; i < lines.length;) {
		if (i === close) out.push(...added);
		const edit = edits.get(i);
		if (edit) {
			out.push(...edit[1]);
			i = edit[0];
		} else {
			out.push(lines[i] ?? '');
			i++;
		}
	}
	return out.join('\n');
}

// A key owns its own line plus the indented lines under it (a block list or
// literal), including blank lines between them but not blank lines after.
function spanEnd(lines: string[], start: number, close: number): number {
	let end = start + 1;
	for (let j = start + 1; j < close; j++) {
		const line = (lines[j] ?? '').replace(/\r$/, '');
		if (/^[ \t]*$/.test(line)) continue;
		if (line[0] !== ' ' && line[0] !== '\t') break;
		end = j + 1;
	}
	return end;
}

// Keep a trailing "# comment" of a replaced one-line value, at its old column
// when it fits. The comment starts at the first " #" whose prefix alone parses
// to the same value (a "#" inside quotes fails that test).
function keepComment(oldLine: string, key: string, oldValue: unknown, newLine: string): string {
	const bare = oldLine.replace(/\r$/, '');
	for (const match of bare.matchAll(/[ \t]+#/g)) {
		const prefix = bare.slice(0, match.index);
		const reread = parseFrontMatter(`---\n${prefix}\n---\n`);
		if (!reread.ok || JSON.stringify(reread.data[key]) !== JSON.stringify(oldValue)) continue;
		const column = match.index + match[0].length - 1;
		const comment = bare.slice(column);
		return newLine.length < column ? newLine.padEnd(column) + comment : `${newLine} ${comment}`;
	}
	return newLine;
}

/** The one-line front-matter text for a value. Throws for values the subset cannot hold. */
export function serializeValue(key: string, value: unknown): string {
	if (Array.isArray(value)) return `[${value.map(item => scalarText(key, item, true)).join(', ')}]`;
	if (isPlainObject(value)) {
		const entries = Object.entries(value).filter(([, v]) => v !== undefined);
		const entry = ([k, v]: [string, unknown]): string =>
			`${KEY.test(k) ? k : JSON.stringify(k)}: ${typeof v === 'string' ? JSON.stringify(v) : scalarText(key, v, true)}`;
		return `{${entries.map(entry).join(', ')}}`;
	}
	return scalarText(key, value, false);
}

function scalarText(key: string, value: unknown, inFlow: boolean): string {
	if (value === null) return 'null';
	if (typeof value === 'boolean') return String(value);
	if (typeof value === 'number') {
		// The subset reads only plain integers as numbers.
		if (!Number.isSafeInteger(value)) throw new Error(`cannot write ${key}: ${value} is not a safe integer`);
		return String(value);
	}
	if (typeof value === 'string') return plainRoundTrips(value, inFlow) ? value : JSON.stringify(value);
	throw new Error(`cannot write ${key}: nested or non-scalar values are not supported in front matter`);
}

// Plain only when it is plainly text: anything that could read as structure, a
// number, a boolean, null or a date (for other YAML tools) gets JSON quotes.
function plainRoundTrips(text: string, inFlow: boolean): boolean {
	if (text === '' || text !== text.trim()) return false;
	// eslint-disable-next-line no-control-regex -- control characters are what it looks for
	if (/[\u0000-\u001f\u007f]/.test(text)) return false;
	if (/^[[\]{}"'|>&*!%@`,#?:-]/.test(text) || text.includes(': ') || text.includes(' #') || text.endsWith(':')) return false;
	if (inFlow && /[,[\]{}]/.test(text)) return false;
	if (/^\d{4}-\d\d-\d\d/.test(text)) return false;
	const reread = parseFrontMatter(`---\nk: ${inFlow ? `[${text}]` : text}\n---\n`);
	if (!reread.ok) return false;
	const read = reread.data['k'];
	return inFlow ? Array.isArray(read) && read.length === 1 && read[0] === text : read === text;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
	if (value === null || typeof value !== 'object') return false;
	const proto = Object.getPrototypeOf(value) as unknown;
	return proto === Object.prototype || proto === null;
}
