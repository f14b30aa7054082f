import {describe, expect, it} from 'vitest';
import type {Key} from 'ink';
import {keyPresses} from '../../../source/ui/keys.js';

const plain = {} as Key;

describe('key chunks', () => {
	it('keeps the Enter of a typed-ahead or pasted reason', () => {
		expect(keyPresses('needs a human\r', plain)).toEqual([{kind: 'text', text: 'needs a human'}, {kind: 'enter'}]);
		expect(keyPresses('a\r\nb', plain)).toEqual([{kind: 'text', text: 'a'}, {kind: 'enter'}, {kind: 'text', text: 'b'}]);
	});

	it('leaves single keys to the normal reading', () => {
		expect(keyPresses('p', plain)).toEqual([{kind: 'text', text: 'p'}]);
		expect(keyPresses('\r', {return: true} as Key)).toEqual([{kind: 'enter'}]);
	});
});
