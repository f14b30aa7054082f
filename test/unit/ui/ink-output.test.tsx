import {cleanup, render} from 'ink-testing-library';
import {afterEach, beforeAll, describe, expect, it} from 'vitest';
import {App} from '../../../source/ui/App.js';
import {fastGet, fasterInkOutput, fingerprint, loadInkOutput} from '../../../source/ui/ink-output.js';
import {fixtureState, RecordingControl, resize, settle, T0} from './helpers.js';

// fastGet must write exactly the bytes Ink's own Output#get writes, frame after
// frame (it keeps a frame's tokenised lines for the next one).

type Loaded = Awaited<ReturnType<typeof loadInkOutput>>;
type Get = Loaded['Output']['prototype']['get'];
let ink: Loaded;
let inkGet: Get;
beforeAll(async () => {
	ink = await loadInkOutput();
	inkGet = ink.Output.prototype.get;
});
afterEach(() => {
	cleanup();
	ink.Output.prototype.get = inkGet;
});

/** A seeded generator (mulberry32): the same frames every run. */
function random(seed: number): () => number {
	return () => {
		seed = (seed + 0x6d2b79f5) | 0;
		let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
		t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
		return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
	};
}

const STYLES = [
	'\u001B[31m',
	'\u001B[39m',
	'\u001B[1m',
	'\u001B[2m',
	'\u001B[22m',
	'\u001B[7m',
	'\u001B[27m',
	'\u001B[38;5;208m',
	'\u001B[48;2;10;20;30m',
	'\u001B[0m',
	'\u001B[4m',
];
const PIECES = [
	'line 4711 of W-1: xxxx',
	'日本語',
	'✓ done',
	'⠋',
	'é',
	' ',
	'│',
	'─',
	'a\tb',
	'👍🏽',
	'T-12 · running',
	// Lines the tokenizer-free path takes or must refuse: a cut marker, a combining mark, an emoji selector, a soft hyphen, a joiner.
	'xxxxxxx…',
	'e\u0301',
	'⚠\uFE0F',
	'a\u00ADb',
	'→ ⚙ ☺ ½',
	'\u200D',
];

function randomText(next: () => number): string {
	const lines: string[] = [];
	const count = 1 + Math.floor(next() * 4);
	for (let l = 0; l < count; l++) {
		let line = '';
		const parts = Math.floor(next() * 7);
		for (let p = 0; p < parts; p++) line += next() < 0.4 ? STYLES[Math.floor(next() * STYLES.length)]! : PIECES[Math.floor(next() * PIECES.length)]!;
		lines.push(line);
	}
	return lines.join('\n');
}

/** A frame's operations, as Ink's renderer would record them: writes, nested clips, transformers. */
function randomFrame(next: () => number, width: number, height: number): unknown[] {
	const operations: unknown[] = [];
	let depth = 0;
	for (let i = 0; i < 40; i++) {
		const roll = next();
		if (roll < 0.12) {
			const clip: Record<string, number> = {};
			if (next() < 0.7) Object.assign(clip, {x1: Math.floor(next() * width), x2: Math.floor(next() * width * 1.2)});
			if (next() < 0.7) Object.assign(clip, {y1: Math.floor(next() * height), y2: Math.floor(next() * height * 1.2)});
			operations.push({type: 'clip', clip});
			depth++;
		} else if (roll < 0.2 && depth > 0) {
			operations.push({type: 'unclip'});
			depth--;
		} else {
			const transformers = next() < 0.2 ? [(line: string, index: number) => (index % 2 === 0 ? `${STYLES[0]}${line}${STYLES[1]}` : line.toUpperCase())] : [];
			operations.push({type: 'write', x: Math.floor(next() * width) - 3, y: Math.floor(next() * height) - 1, text: randomText(next), transformers});
		}
	}
	return operations;
}

describe("Ink's Output#get, faster", () => {
	it('is applied to the Ink installed here (its get is the one it was written against)', async () => {
		expect(fingerprint(inkGet)).toBe(fingerprint(ink.Output.prototype.get));
		await expect(fasterInkOutput()).resolves.toBe(true);
		expect(ink.Output.prototype.get).not.toBe(inkGet);
	});

	it('writes the same text as Ink for 400 random frames (styles, wide characters, clips, transformers), one after another', () => {
		const next = random(14);
		const fast = fastGet(ink.lib);
		let previous: unknown[] = [];
		for (let frame = 0; frame < 400; frame++) {
			const width = 20 + Math.floor(next() * 60);
			const height = 3 + Math.floor(next() * 20);
			// Half the frames repeat some of the previous one's operations (what the cache across frames is for).
			const operations = [...(next() < 0.5 ? previous.slice(0, 20) : []), ...randomFrame(next, width, height)];
			previous = operations;
			const output = Object.assign(new (ink.Output as unknown as new (options: {width: number; height: number}) => object)({width, height}), {operations});
			expect(fast.call(output as never)).toEqual(inkGet.call(output as never));
		}
	});

	it("draws the App's screen byte for byte as Ink does", async () => {
		const frameOf = async (get: Get): Promise<string> => {
			ink.Output.prototype.get = get;
			const {lastFrame, stdout, unmount} = render(
				<App
					state={fixtureState()}
					control={new RecordingControl()}
					logFileOf={() => '/nonexistent.log'}
					maxAttempts={3}
					onDetach={() => {}}
					now={() => T0 + 60_000}
				/>,
			);
			resize(stdout, 140, 40);
			await settle();
			// The spinners step on the frame clock, whichever render it is: not what is compared here.
			const frame = (lastFrame() ?? '').replace(/[\u2801-\u28FF]/g, '*');
			unmount();
			return frame;
		};
		const theirs = await frameOf(inkGet);
		const ours = await frameOf(fastGet(ink.lib));
		expect(theirs).toMatch(/T-1/);
		expect(ours).toBe(theirs);
	});
});
