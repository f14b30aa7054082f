import {describe, expect, it} from 'vitest';
import {parseFrontMatter, type FrontMatterResult} from '../../../oracle/oracle.mjs';
import {setFrontMatterFields} from '../../../source/tracker/front-matter-write.js';

const fm = (...lines: string[]) => `---\n${lines.join('\n')}\n---\nThe body.\n`;

function data(text: string) {
	const result = parseFrontMatter(text);
	if (!result.ok) throw new Error(`expected ok, got line ${result.line}: ${result.message}`);
	return result.data;
}

function failure(text: string): Extract<FrontMatterResult, {ok: false}> {
	const result = parseFrontMatter(text);
	if (result.ok) throw new Error(`expected an error, got ${JSON.stringify(result.data)}`);
	return result;
}

describe('parseFrontMatter: constructs', () => {
	it('reads plain scalars with their types and strips trailing comments', () => {
		expect(data(fm('id: T-3', 'title: Grant the role   # why', 'n: 42', 'neg: -7', 'yes: true', 'no: false', 'a: null', 'b: ~', 'url: http://x/y#z'))).toEqual({
			id: 'T-3',
			title: 'Grant the role',
			n: 42,
			neg: -7,
			yes: true,
			no: false,
			a: null,
			b: null,
			url: 'http://x/y#z',
		});
	});

	it('reads single- and double-quoted strings with their escapes', () => {
		expect(data(fm(`a: 'it''s # not a comment'`, 'b: "tab\\there \\"q\\" \\u00e9"  # c', `c: "42"`, `d: ''`))).toEqual({
			a: "it's # not a comment",
			b: 'tab\there "q" é',
			c: '42',
			d: '',
		});
	});

	it('reads flow sequences and flow mappings of scalars', () => {
		expect(data(fm(`deps: [T-1, "b c", 'd', 3]`, 'empty: []', `gate: {by: alice, "at": "2026-01-01T00:00:00Z", reason: "needs a human"}`))).toEqual({
			deps: ['T-1', 'b c', 'd', 3],
			empty: [],
			gate: {by: 'alice', at: '2026-01-01T00:00:00Z', reason: 'needs a human'},
		});
	});

	it('reads block sequences, and an empty value as null', () => {
		expect(data(fm('locks:', '  - infra', '', '  # a comment', '  - "db: main"', "  - 'x'", '  - 5', 'nothing:', 'after: 1'))).toEqual({
			locks: ['infra', 'db: main', 'x', 5],
			nothing: null,
			after: 1,
		});
	});

	it('reads | (one final newline) and |- (none) literal blocks', () => {
		const result = data(fm('demo: |', '  {"step": 1}', '', '    indented', '  # kept, not a comment', '', 'strip: |-', '  a', '  b', 'empty: |', 'end: x'));
		expect(result).toEqual({
			demo: '{"step": 1}\n\n  indented\n# kept, not a comment\n',
			strip: 'a\nb',
			empty: '',
			end: 'x',
		});
	});

	it('returns key lines, the body and where it starts', () => {
		const result = parseFrontMatter('---\n# note\nid: T-1\n\nstatus: todo\n---\n\nBody\n');
		expect(result).toEqual({ok: true, data: {id: 'T-1', status: 'todo'}, keyLines: {id: 3, status: 5}, body: '\nBody\n', bodyLine: 7});
	});

	it('accepts CRLF line endings and a file that ends at the closing line', () => {
		expect(parseFrontMatter('---\r\nid: T-1\r\n---')).toEqual({ok: true, data: {id: 'T-1'}, keyLines: {id: 2}, body: '', bodyLine: 4});
	});

	it('keeps a key named __proto__ as plain data', () => {
		const result = data(fm('__proto__: x'));
		expect(Object.getPrototypeOf(result)).toBe(Object.prototype);
		expect(Object.keys(result)).toEqual(['__proto__']);
	});
});

describe('parseFrontMatter: errors name the line and a fix', () => {
	const cases: Array<[string, string, number, RegExp]> = [
		['no opening ---', 'id: T-1\n', 1, /does not start with front matter/],
		['not closed', '---\nid: T-1\nstatus: todo\n', 1, /front matter is not closed/],
		['duplicate key', fm('id: T-1', 'title: x', 'id: T-2'), 4, /duplicate key 'id' \(first at line 2\)/],
		['nested block mapping', fm('id: T-1', 'gate:', '  by: alice'), 4, /not a list item/],
		['indented line after a scalar', fm('title: one', '  two'), 3, /unexpected indented line/],
		['folded scalar', fm('id: T-1', 'body: >', '  text'), 3, /folded/],
		['anchor', fm('a: &x 1'), 2, /anchors/],
		['alias', fm('a: 1', 'b: *x'), 3, /anchors, aliases/],
		['tab indentation', fm('deps:', '\t- T-1'), 3, /tab/],
		['tab at column 1', fm('id: T-1', '\tstatus: todo'), 3, /tab/],
		['unterminated double quote', fm('title: "abc'), 2, /unterminated double-quoted/],
		["unterminated single quote", fm("title: 'abc"), 2, /unterminated single-quoted/],
		['unterminated list', fm('id: T-1', 'deps: [T-1, T-2'), 3, /missing '\]'/],
		['unterminated mapping', fm('gate: {by: a'), 2, /missing '}'/],
		['nested flow list', fm('deps: [T-1, [T-2]]'), 2, /nested/],
		['plain value with ": "', fm('title: Fix: the thing'), 2, /': '/],
		['float-looking plain value', fm('version: 1.5'), 2, /number, boolean or null/],
		['True in another spelling', fm('flag: True'), 2, /number, boolean or null/],
		['text after a quoted value', fm('title: "a" b'), 2, /unexpected text after the value/],
		['invalid key', fm('9lives: x'), 2, /expected 'key: value'/],
		['missing space after colon', fm('id:T-1'), 2, /expected 'key: value'/],
		['unindented list item', fm('deps:', '- T-1'), 3, /not indented/],
		['uneven list items', fm('deps:', '  - T-1', '    - T-2'), 4, /not equally indented/],
		['block literal dedent', fm('text: |', '    a', '  b'), 4, /less indented/],
		['bad block header', fm('text: |+', '  a'), 2, /block scalar header/],
		['bad escape', fm('title: "\\x41"'), 2, /invalid escape/],
		['plain flow key without space', fm('gate: {by:alice}'), 2, /key: value/],
		['empty flow item', fm('deps: [a, , b]'), 2, /empty item/],
	];
	it.each(cases)('%s', (_name, text, line, message) => {
		const error = failure(text);
		expect(error.line).toBe(line);
		expect(error.message).toMatch(message);
		expect(error.fix.length).toBeGreaterThan(10);
	});

	it('suggests the list form for a nested deps block', () => {
		expect(failure(fm('deps:', '  T-1: yes')).fix).toContain('deps: [a, b]');
	});
});

describe('setFrontMatterFields round-trips through parseFrontMatter', () => {
	const original = [
		'---',
		'# written by a human',
		'id: T-3',
		'title: Grant the role',
		'status: todo            # todo | in_progress | done',
		'deps:',
		'  - T-1',
		'  - T-2',
		'',
		'# evidence goes below',
		'attempts: 1',
		'notes: |',
		'  line one',
		'',
		'  line two',
		'---',
		'Body stays.',
		'',
	].join('\n');

	it('replaces values in place, keeping comments, order and the body', () => {
		const next = setFrontMatterFields(original, {status: 'done', attempts: 2});
		expect(next).toBe(original.replace('status: todo            #', 'status: done            #').replace('attempts: 1', 'attempts: 2'));
		expect(data(next)).toMatchObject({status: 'done', attempts: 2, deps: ['T-1', 'T-2'], notes: 'line one\n\nline two\n'});
	});

	it('replaces a block value with its continuation lines and removes keys', () => {
		const next = setFrontMatterFields(original, {deps: ['T-1'], notes: undefined});
		expect(next.split('\n')).toEqual([
			'---',
			'# written by a human',
			'id: T-3',
			'title: Grant the role',
			'status: todo            # todo | in_progress | done',
			'deps: [T-1]',
			'',
			'# evidence goes below',
			'attempts: 1',
			'---',
			'Body stays.',
			'',
		]);
	});

	it('appends new keys before the closing line, in the order given', () => {
		const sha = 'a'.repeat(40);
		const next = setFrontMatterFields(original, {merge_commit: sha, gate: {by: 'alice', at: '2026-01-01T00:00:00Z', reason: 'needs: a human # really'}});
		const lines = next.split('\n');
		expect(lines.slice(15, 18)).toEqual([`merge_commit: ${sha}`, 'gate: {by: "alice", at: "2026-01-01T00:00:00Z", reason: "needs: a human # really"}', '---']);
		expect(data(next)).toMatchObject({merge_commit: sha, gate: {by: 'alice', at: '2026-01-01T00:00:00Z', reason: 'needs: a human # really'}});
	});

	const tricky = ['', ' lead', 'trail ', 'a: b', 'x #y', '[x]', '{x}', '"q"', "'q'", '|', '>', '&a', '*a', '!t', '%', '@', '`', '-', '- x', '?', '42', '-1', '1.5', '1e3', 'true', 'False', 'null', '~', 'NULL', '.inf', '0x1F', '2026-01-01', 'two\nlines', 'tab\there', 'a, b', 'é ünïcode', 'ends:', 'T-1', 'plain words'];
	it.each(tricky)('a string %j reads back exactly, alone and in a list', (value) => {
		const next = setFrontMatterFields('---\nid: T-1\n---\n', {s: value, l: [value, 'x'], m: {k: value}});
		expect(data(next)).toEqual({id: 'T-1', s: value, l: [value, 'x'], m: {k: value}});
	});

	it('writes plain text plainly and quotes only when needed', () => {
		const next = setFrontMatterFields('---\nid: T-1\n---\n', {a: 'plain words', b: '42', c: ['T-1', 'b c', 'x,y'], d: 3, e: false});
		expect(next).toBe('---\nid: T-1\na: plain words\nb: "42"\nc: [T-1, b c, "x,y"]\nd: 3\ne: false\n---\n');
	});

	it('a null value removes the key (a cleared field, as the event log records it)', () => {
		expect(setFrontMatterFields('---\nid: T-1\ngate: by me\nf: 1\n---\n', {gate: null})).toBe('---\nid: T-1\nf: 1\n---\n');
	});

	it('keeps CRLF line endings', () => {
		expect(setFrontMatterFields('---\r\nid: T-1\r\n---\r\nbody\r\n', {status: 'done'})).toBe('---\r\nid: T-1\r\nstatus: done\r\n---\r\nbody\r\n');
	});

	it('refuses values the subset cannot hold', () => {
		expect(() => setFrontMatterFields('---\nid: T-1\n---\n', {x: 1.5})).toThrow(/safe integer/);
		expect(() => setFrontMatterFields('---\nid: T-1\n---\n', {x: [[1]]})).toThrow(/not supported/);
		expect(() => setFrontMatterFields('---\nid: T-1\n---\n', {'bad key': 1})).toThrow(/key/);
		expect(() => setFrontMatterFields('---\nid: [\n---\n', {x: 1})).toThrow(/line 2/);
	});
});
