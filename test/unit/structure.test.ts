import {readdirSync, readFileSync} from 'node:fs';
import path from 'node:path';
import {describe, expect, it} from 'vitest';

// Small rooms (ARCHITECTURE.md): a file of source/ that grows past 300 lines is split, not waved through.
const files = (dir: string): string[] =>
	readdirSync(dir, {withFileTypes: true}).flatMap(entry => (entry.isDirectory() ? files(path.join(dir, entry.name)) : [path.join(dir, entry.name)]));

describe('the structure', () => {
	it('no file in source/ is over 300 lines', () => {
		const long = files('source')
			.filter(file => /\.tsx?$/.test(file))
			.map(file => ({file, lines: readFileSync(file, 'utf8').split('\n').length - 1}))
			.filter(({lines}) => lines > 300);
		expect(long).toEqual([]);
	});
});
