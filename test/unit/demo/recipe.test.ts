/** Demo recipe lines, validated by their zod schemas: what each becomes, and what a bad one is told. */
import {describe, expect, it} from 'vitest';
import {DemoFailure, parseAction, parseRecipe} from '../../../source/demo/recipe.js';

describe('a demo recipe line', () => {
	it('becomes an action, with its attempts and its condition', () => {
		expect(parseAction('{"write": "a.txt", "content": "x", "attempt": [1, 2], "unless_exists": "b"}')).toEqual({
			kind: 'write',
			path: 'a.txt',
			content: 'x',
			attempts: [1, 2],
			when: {path: 'b', exists: false},
		});
		expect(parseAction('{"append": "a.txt", "attempt": 2}')).toEqual({kind: 'append', path: 'a.txt', content: '', attempts: [2]});
		expect(parseAction('{"sleep_ms": 0, "if_exists": "x"}')).toMatchObject({kind: 'sleep', ms: 0, when: {path: 'x', exists: true}});
		expect(parseAction('{"file": {"title": "t", "body": "b", "blocks": "self"}}')).toMatchObject({kind: 'file', title: 't', body: 'b', blocks: 'self'});
	});

	it('is refused with what is wrong', () => {
		const refused: Array<[string, string | RegExp]> = [
			['{"write": "a", "contnet": "x"}', 'unknown key "contnet" in a write action'],
			['{"write": "a", "say": "b"}', /^needs exactly one of write, append, delete, say, sleep_ms, fail, file \(found write, say\)$/],
			['{}', /^needs exactly one of /],
			['[1]', /^each line must be a JSON object/],
			['{"write": ', /^not JSON/],
			['{"write": ""}', '"write" must be a path'],
			['{"write": "a", "content": 3}', '"content" must be a string'],
			['{"say": "x", "attempt": 0}', '"attempt" must be an attempt number (1, 2, ...) or a list of them'],
			['{"say": "x", "attempt": []}', '"attempt" must be an attempt number (1, 2, ...) or a list of them'],
			['{"say": "x", "if_exists": ""}', '"if_exists" / "unless_exists" must be a path'],
			['{"sleep_ms": -1}', '"sleep_ms" must be a number of milliseconds'],
			['{"file": {"title": "t"}}', /^"file" must be an object/],
		];
		for (const [line, message] of refused)
			expect(parseAction(line), line).toEqual(
				expect.stringMatching(typeof message === 'string' ? new RegExp(`^${message.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`) : message),
			);
	});

	it('a recipe skips blanks and comments and names the line of a bad one', () => {
		expect(parseRecipe('# c\n\n{"say": "hi"}\n', line => `T-1.md:${line}`)).toEqual([{kind: 'say', text: 'hi', attempts: undefined, line: 3}]);
		expect(() => parseRecipe('{"say": "hi"}\n{"say": 1}', line => `T-1.md:${line}`)).toThrow(new DemoFailure('T-1.md:2: "say" must be a string'));
	});
});
