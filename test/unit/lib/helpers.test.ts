import {chmodSync, mkdirSync, mkdtempSync, writeFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import path from 'node:path';
import {describe, expect, it} from 'vitest';
import {sha256, sha256File} from '../../../source/lib/sha256.js';
import {timerDelay} from '../../../source/lib/timer.js';
import {findOnPath} from '../../../source/lib/which.js';

describe('small helpers', () => {
	it('clamps a delay to what setTimeout can wait', () => {
		expect(timerDelay(30 * 24 * 3600 * 1000)).toBe(2 ** 31 - 1);
		expect(timerDelay(-5)).toBe(0);
		expect(timerDelay(1500)).toBe(1500);
	});

	it('hashes a text and a file alike', () => {
		const file = path.join(mkdtempSync(path.join(tmpdir(), 'sha-')), 'x');
		writeFileSync(file, 'abc');
		expect(sha256('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
		expect(sha256File(file)).toBe(sha256(Buffer.from('abc')));
	});

	it('finds what a shell would run on a PATH: the first executable file, not a directory or a plain file', () => {
		const root = mkdtempSync(path.join(tmpdir(), 'which-'));
		const [a, b, c] = ['a', 'b', 'c'].map(dir => path.join(root, dir));
		mkdirSync(path.join(a!, 'tool'), {recursive: true});
		mkdirSync(b!);
		writeFileSync(path.join(b!, 'tool'), 'not executable');
		mkdirSync(c!);
		writeFileSync(path.join(c!, 'tool'), '#!/bin/sh\n');
		chmodSync(path.join(c!, 'tool'), 0o755);
		expect(findOnPath('tool', [a, '', b, c].join(path.delimiter))).toBe(path.join(c!, 'tool'));
		expect(findOnPath('tool', `${a}${path.delimiter}${b}`)).toBeUndefined();
		expect(findOnPath('tool', undefined)).toBeUndefined();
		expect(findOnPath(path.join(c!, 'tool'), '')).toBe(path.join(c!, 'tool'));
	});
});
