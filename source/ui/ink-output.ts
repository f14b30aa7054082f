import {createHash} from 'node:crypto';
import {readFileSync} from 'node:fs';
import {createRequire} from 'node:module';
import path from 'node:path';
import {pathToFileURL} from 'node:url';

// Ink 6.8 turns every frame into text in Output#get, and that is most of what a
// frame costs (#14): it builds a fresh grid of one object and one array per
// cell (160x48: ~15,000 allocations a frame, promoted and left for the old
// generation, so RSS climbs), tokenises and slices every line again, and diffs
// the styles of every pair of neighbouring cells through Sets. The same
// algorithm, the same bytes out, without that waste: blank cells share one
// object, lines seen in the previous frame are not tokenised, sliced or
// measured again, and equal neighbouring styles short-cut the diff. Applied
// only to the exact Output#get it was written against (fingerprinted); any
// other Ink keeps its own.

/** sha256 of Ink 6.8's `Output.prototype.get.toString()`. */
const INK_GET_SHA256 = 'ff97f9abeabc83c4e1613b034c5951e6ebdd4b4f0641326606f9b6e6b473481a';

type StyleCode = {code: string; endCode: string};
type StyledChar = {type: 'char'; value: string; fullWidth: boolean; styles: StyleCode[]};
/** A shared unstyled character known to take one cell. */
type NarrowChar = StyledChar & {cells?: 1};
// Where such characters are looked for (each checked once against the tokenizer and string-width): Latin,
// punctuation, arrows, box drawing, braille and other symbols. No combining or prepended marks live here.
const NARROW_CANDIDATES: ReadonlyArray<readonly [number, number]> = [
	[0xa1, 0x2ff],
	[0x2010, 0x2027],
	[0x2030, 0x205e],
	[0x2070, 0x20cf],
	[0x2100, 0x2bff],
];
type Clip = {x1?: number; x2?: number; y1?: number; y2?: number};
type Operation =
	| {type: 'write'; x: number; y: number; text: string; transformers: Array<(line: string, index: number) => string>}
	| {type: 'clip'; clip: Clip}
	| {type: 'unclip'};
type OutputLike = {width: number; height: number; operations: Operation[]};
type Tokenizer = {
	tokenize: (text: string) => unknown[];
	styledCharsFromTokens: (tokens: unknown[]) => StyledChar[];
	diffAnsiCodes: (from: StyleCode[], to: StyleCode[]) => StyleCode[];
	ansiCodesToString: (codes: StyleCode[]) => string;
};
type Libraries = Tokenizer & {sliceAnsi: (text: string, from: number, to?: number) => string; stringWidth: (text: string) => number};

/** What a cache of one frame's values keeps from the frame before: only what is asked for again. */
class FrameCache<V> {
	private current = new Map<string, V>();
	private previous = new Map<string, V>();
	get(key: string, make: () => V): V {
		let value = this.current.get(key);
		if (value !== undefined) return value;
		value = this.previous.get(key) ?? make();
		this.current.set(key, value);
		return value;
	}

	nextFrame(): void {
		this.previous = this.current;
		this.current = new Map();
	}
}

const sameStyles = (a: StyleCode[], b: StyleCode[]): boolean => {
	if (a === b) return true;
	if (a.length !== b.length) return false;
	for (let i = 0; i < a.length; i++) if (a[i]!.code !== b[i]!.code) return false;
	return true;
};

/** The get() below, over Ink's own libraries (exported for the equivalence test). */
export function fastGet(lib: Libraries): (this: OutputLike) => {output: string; height: number} {
	const styled = new FrameCache<StyledChar[]>();
	const widths = new FrameCache<number>();
	const sliced = new FrameCache<string>();
	const blank: StyledChar = {type: 'char', value: ' ', fullWidth: false, styles: []};
	// A line with no escape in it is all unstyled characters: one shared object per character, not one per cell.
	const unstyled = new Map<string, StyledChar>();
	const noStyles: StyleCode[] = [];
	// Unstyled characters that are one grapheme and one cell whatever surrounds them, by UTF-16 code (null: not one).
	// A line made only of those needs no tokenizer: most of a frame (log lines, borders, spinners) is such text.
	const narrow: Array<NarrowChar | null | undefined> = [];
	const narrowChar = (code: number): NarrowChar | null => {
		let char = narrow[code];
		if (char !== undefined) return char;
		char = null;
		if (code >= 0x20 && code <= 0x7e) char = {type: 'char', value: String.fromCharCode(code), fullWidth: false, styles: noStyles, cells: 1};
		else if (NARROW_CANDIDATES.some(([low, high]) => code >= low && code <= high)) {
			const value = String.fromCharCode(code);
			const tokens = lib.tokenize(value) as Array<{type: string; value: string; fullWidth: boolean}>;
			const one = tokens.length === 1 && tokens[0]!.type === 'char' && tokens[0]!.value === value && !tokens[0]!.fullWidth;
			if (one && lib.stringWidth(value) === 1) char = {type: 'char', value, fullWidth: false, styles: noStyles, cells: 1};
		}
		narrow[code] = char;
		return char;
	};
	const narrowLine = (line: string): StyledChar[] | undefined => {
		const chars: StyledChar[] = new Array<StyledChar>(line.length);
		for (let i = 0; i < line.length; i++) {
			const char = narrowChar(line.charCodeAt(i));
			if (!char) return undefined;
			chars[i] = char;
		}
		return chars;
	};
	const styledChars = (line: string): StyledChar[] => {
		const fast = narrowLine(line);
		if (fast) return fast;
		const tokens = lib.tokenize(line) as Array<{type: string; value: string; fullWidth: boolean}>;
		if (line.includes('\u001B') || line.includes('\u009B')) return lib.styledCharsFromTokens(tokens);
		if (unstyled.size > 10_000) unstyled.clear();
		return tokens.map(({value, fullWidth}) => {
			const key = fullWidth ? `w${value}` : value;
			let char = unstyled.get(key);
			if (!char) unstyled.set(key, (char = {type: 'char', value, fullWidth, styles: noStyles}));
			return char;
		});
	};
	const width = (text: string): number => widths.get(text, () => lib.stringWidth(text));
	// ansi-tokenize's styledCharsToString over the row's defined cells, with the diff of two equal style sets (always empty) skipped.
	const rowToString = (row: Array<StyledChar | undefined>): string => {
		let last = row.length - 1;
		while (last >= 0 && row[last] === undefined) last--;
		let out = '';
		let before: StyledChar | undefined;
		for (let i = 0; i <= last; i++) {
			const char = row[i];
			if (char === undefined) continue;
			if (before === undefined) out += char.styles.length === 0 ? '' : lib.ansiCodesToString(char.styles);
			else if (!sameStyles(before.styles, char.styles)) out += lib.ansiCodesToString(lib.diffAnsiCodes(before.styles, char.styles));
			out += char.value;
			if (i === last && char.styles.length > 0) out += lib.ansiCodesToString(lib.diffAnsiCodes(char.styles, []));
			before = char;
		}
		return out;
	};
	const escaped = (line: string): boolean => line.includes('\u001B') || line.includes('\u009B');
	const allNarrow = (line: string): boolean => {
		for (let i = 0; i < line.length; i++) if (!narrowChar(line.charCodeAt(i))) return false;
		return true;
	};
	// Two grids, this frame's and the last one's: a row whose cells are the very same objects as last frame's is not turned into text again.
	const grids: [StyledChar[][], StyledChar[][]] = [[], []];
	const rowTexts: [string[], string[]] = [[], []];
	let current: 0 | 1 = 0;

	return function get(this: OutputLike) {
		current = current === 0 ? 1 : 0;
		const last = current === 0 ? 1 : 0;
		const output = grids[current];
		const previous = grids[last];
		output.length = this.height;
		for (let y = 0; y < this.height; y++) {
			const row = (output[y] ??= []);
			row.length = this.width;
			row.fill(blank);
		}
		const clips: Clip[] = [];
		for (const operation of this.operations) {
			if (operation.type === 'clip') clips.push(operation.clip);
			if (operation.type === 'unclip') clips.pop();
			if (operation.type !== 'write') continue;
			const {text, transformers} = operation;
			let {x, y} = operation;
			let lines = text.split('\n');
			const clip = clips.at(-1);
			if (clip) {
				const clipHorizontally = typeof clip.x1 === 'number' && typeof clip.x2 === 'number';
				const clipVertically = typeof clip.y1 === 'number' && typeof clip.y2 === 'number';
				if (clipHorizontally) {
					let widest = 0;
					for (const line of lines) widest = Math.max(widest, width(line));
					if (x + widest < clip.x1! || x > clip.x2!) continue;
				}
				if (clipVertically && (y + lines.length < clip.y1! || y > clip.y2!)) continue;
				if (clipHorizontally) {
					const x1 = clip.x1!;
					const x2 = clip.x2!;
					lines = lines.map(line => {
						const from = x < x1 ? x1 - x : 0;
						const lineWidth = width(line);
						const to = x + lineWidth > x2 ? x2 - x : lineWidth;
						// One cell and one code unit a character, no escapes: a slice is the substring.
						if (!escaped(line) && allNarrow(line)) return from === 0 && to >= line.length ? line : line.slice(from, to);
						return sliced.get(`${from}:${to}:${line}`, () => lib.sliceAnsi(line, from, to));
					});
					if (x < x1) x = x1;
				}
				if (clipVertically) {
					const from = y < clip.y1! ? clip.y1! - y : 0;
					const to = y + lines.length > clip.y2! ? clip.y2! - y : lines.length;
					lines = lines.slice(from, to);
					if (y < clip.y1!) y = clip.y1!;
				}
			}
			let offsetY = 0;
			for (const [index, raw] of lines.entries()) {
				const currentLine = output[y + offsetY];
				if (!currentLine) continue;
				let transformed = raw;
				for (const transformer of transformers) transformed = transformer(transformed, index);
				const line = transformed;
				const characters = styled.get(line, () => styledChars(line));
				let offsetX = x;
				for (const character of characters) {
					currentLine[offsetX] = character;
					const characterWidth = (character as NarrowChar).cells ?? Math.max(1, width(character.value));
					for (let i = 1; i < characterWidth; i++) currentLine[offsetX + i] = {type: 'char', value: '', fullWidth: false, styles: character.styles};
					offsetX += characterWidth;
				}
				offsetY++;
			}
		}
		const texts = rowTexts[current];
		const previousTexts = rowTexts[last];
		texts.length = this.height;
		for (let y = 0; y < this.height; y++) {
			const row = output[y]!;
			const before = previous[y];
			let same = before !== undefined && before.length === row.length && previousTexts[y] !== undefined;
			for (let x = 0; same && x < row.length; x++) same = row[x] === before![x];
			texts[y] = same ? previousTexts[y]! : rowToString(row).trimEnd();
		}
		const generated = texts.join('\n');
		styled.nextFrame();
		widths.nextFrame();
		sliced.nextFrame();
		return {output: generated, height: output.length};
	};
}

type OutputClass = {prototype: {get: (this: OutputLike) => {output: string; height: number}}};

/** Ink's Output class and the libraries it renders with, loaded from Ink's own install (the very module instances it uses). */
export async function loadInkOutput(): Promise<{Output: OutputClass; lib: Libraries}> {
	const require = createRequire(import.meta.url);
	const inkEntry = require.resolve('ink');
	const build = path.dirname(inkEntry);
	const fromInk = createRequire(inkEntry);
	// An import-only package (no "require" export) is found through its package.json.
	const entry = (name: string): string => {
		try {
			return fromInk.resolve(name);
		} catch {
			const manifest = fromInk.resolve(`${name}/package.json`);
			const {exports} = JSON.parse(readFileSync(manifest, 'utf8')) as {exports: {'.': {import: string}}};
			return path.join(path.dirname(manifest), exports['.'].import);
		}
	};
	const load = async (file: string): Promise<Record<string, unknown>> => (await import(pathToFileURL(file).href)) as Record<string, unknown>;
	const [output, tokenizer, slice, width] = await Promise.all([
		load(path.join(build, 'output.js')),
		load(entry('@alcalzone/ansi-tokenize')),
		load(entry('slice-ansi')),
		load(entry('string-width')),
	]);
	return {
		Output: output['default'] as OutputClass,
		lib: {
			...(tokenizer as unknown as Tokenizer),
			sliceAnsi: slice['default'] as Libraries['sliceAnsi'],
			stringWidth: width['default'] as Libraries['stringWidth'],
		},
	};
}

export const fingerprint = (fn: (...args: never[]) => unknown): string => createHash('sha256').update(fn.toString()).digest('hex');

let patched: Promise<boolean> | undefined;

/** Swap in fastGet when Ink's Output#get is the one it was written against; true when it did. Once per process. */
export function fasterInkOutput(): Promise<boolean> {
	patched ??= loadInkOutput().then(
		({Output, lib}) => {
			if (fingerprint(Output.prototype.get) !== INK_GET_SHA256) return false;
			Output.prototype.get = fastGet(lib);
			return true;
		},
		() => false,
	);
	return patched;
}
