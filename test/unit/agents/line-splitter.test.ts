import {describe, expect, it} from 'vitest';
import {LineSplitter} from '../../../source/agents/line-splitter.js';

function split(chunks: (string | Buffer)[], maxBytes?: number): {lines: string[]; dropped: number} {
	const lines: string[] = [];
	const splitter = new LineSplitter(line => lines.push(line), maxBytes);
	for (const chunk of chunks) splitter.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk));
	splitter.end();
	return {lines, dropped: splitter.dropped};
}

describe('LineSplitter', () => {
	it('joins partial lines across chunks and keeps a last line without newline', () => {
		expect(split(['{"a"', ':1}\n{"b":', '2}\r\n', '', 'tail']).lines).toEqual(['{"a":1}', '{"b":2}', 'tail']);
	});

	it('emits no phantom line after a final newline, but keeps empty lines between', () => {
		expect(split(['a\n\nb\n']).lines).toEqual(['a', '', 'b']);
	});

	it('decodes a multi-byte character split across chunks', () => {
		const bytes = Buffer.from('Invalid API key · Fix\n');
		const cut = bytes.indexOf(0xb7); // second byte of "·" (c2 b7)
		expect(split([bytes.subarray(0, cut), bytes.subarray(cut)]).lines).toEqual(['Invalid API key · Fix']);
	});

	it('drops a line longer than the cap and recovers at the next newline', () => {
		const result = split(['ok\n', 'x'.repeat(60), 'x'.repeat(60), '\nafter\n', 'y'.repeat(200)], 100);
		expect(result.lines).toEqual(['ok', 'after']);
		expect(result.dropped).toBe(2);
	});
});
