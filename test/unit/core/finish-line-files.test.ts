import {describe, expect, it} from 'vitest';
import {
	countFocused,
	countTests,
	isRunnerConfig,
	isTestFile,
	matchesPathRule,
	namedFiles,
	packageScript,
	shellWords,
} from '../../../source/core/finish-line-files.js';

const tree = (texts: Record<string, string>) => ({files: new Set(Object.keys(texts)), read: (file: string) => texts[file]});

describe('shellWords', () => {
	it('unquotes and splits operators', () => {
		expect(shellWords(`FOO=1 node "scripts/a b.mjs" && sh -c 'make test'; x|y`)).toEqual([
			'FOO=1',
			'node',
			'scripts/a b.mjs',
			'&&',
			'sh',
			'-c',
			'make test',
			';',
			'x',
			'|',
			'y',
		]);
	});
	it('drops comments', () => {
		expect(shellWords('# run it\nnode a.js # trailing')).toEqual(['node', 'a.js']);
	});
});

describe('packageScript', () => {
	it.each([
		['npm test', 'test'],
		['npm t', 'test'],
		['npm run smoke', 'smoke'],
		['npm run --silent smoke', 'smoke'],
		['yarn build', 'build'],
		['pnpm run lint', 'lint'],
		['npm install', undefined],
		['npx vitest', undefined],
	])('%s -> %s', (command, script) => {
		expect(packageScript(shellWords(command))).toBe(script);
	});
});

describe('namedFiles', () => {
	const repo = tree({
		'package.json': JSON.stringify({
			scripts: {test: 'vitest run && node scripts/smoke.mjs', pretest: 'node scripts/pre.mjs', smoke: 'bash scripts/verify.sh', build: 'tsc'},
		}),
		'scripts/smoke.mjs': 'console.log(1)',
		'scripts/pre.mjs': '',
		'scripts/verify.sh': '#!/bin/sh\nset -e\n. ./scripts/lib.sh\nnode check.js\n',
		'scripts/lib.sh': 'echo lib\n',
		'check.js': '',
		'src/app.ts': '',
		Makefile: 'test:\n\tnode check.js\n',
		'sub/run.sh': 'echo sub\n',
	});

	it('follows npm test through package.json scripts, with pre/post', () => {
		const named = namedFiles(['npm test'], repo);
		expect([...named.scripts.keys()].sort()).toEqual(['pretest', 'test']);
		expect([...named.files.keys()].sort()).toEqual(['package.json', 'scripts/pre.mjs', 'scripts/smoke.mjs']);
		expect(named.files.get('scripts/smoke.mjs')).toBe('npm test');
	});

	it('follows npm run into a shell script and what the script sources and runs', () => {
		const named = namedFiles(['npm run smoke'], repo);
		expect([...named.files.keys()].sort()).toEqual(['check.js', 'package.json', 'scripts/lib.sh', 'scripts/verify.sh']);
	});

	it('names files directly, after cd, in --opt=value and in sh -c strings', () => {
		expect([...namedFiles(['./scripts/verify.sh'], repo).files.keys()]).toContain('scripts/verify.sh');
		expect([...namedFiles(['cd sub && ./run.sh'], repo).files.keys()]).toEqual(['sub/run.sh']);
		expect([...namedFiles(['node --require=./check.js x'], repo).files.keys()]).toEqual(['check.js']);
		expect([...namedFiles([`sh -c "node check.js"`], repo).files.keys()]).toEqual(['check.js']);
		expect([...namedFiles(['make test'], repo).files.keys()].sort()).toEqual(['Makefile']);
	});

	it('names nothing for a command that runs no repository file', () => {
		const named = namedFiles(['test -e README.md', 'npx tsc --noEmit', 'node /abs/x.js ../outside.js'], repo);
		expect(named.files.size).toBe(0);
		expect(named.scripts.size).toBe(0);
	});

	it('survives a package.json that does not parse', () => {
		const named = namedFiles(['npm test'], tree({'package.json': '{nope'}));
		expect([...named.files.keys()]).toEqual(['package.json']);
		expect(named.scripts.size).toBe(0);
	});
});

describe('isTestFile', () => {
	it.each([
		['test/a.js', true],
		['tests/unit/b.py', true],
		['src/__tests__/c.tsx', true],
		['src/x.test.ts', true],
		['src/x.spec.js', true],
		['pkg/x_test.go', true],
		['test_x.py', true],
		['src/testing.ts', false],
		['src/contest.ts', false],
		['latest/x.js', false],
		['test_x.js', false],
	])('%s -> %s', (file, expected) => {
		expect(isTestFile(file)).toBe(expected);
	});
});

describe('countTests', () => {
	it('does not count commented-out tests, and counts a focused one once', () => {
		expect(countTests("it.only('a', () => {});\n// it('b', () => {});\n/* test('c', () => {}) */\n")).toBe(1);
		expect(countTests('# def test_old():\ndef test_new():\n  pass\n')).toBe(1);
		expect(countTests("const url = 'http://x'; it('a', () => {});")).toBe(1);
		expect(countTests('#[test]\nfn a() {}')).toBe(1);
		expect(countFocused("it.only('a', () => {}); it('b', () => {});")).toBe(1);
	});

	it('counts test cases across languages', () => {
		expect(countTests("describe('a', () => { it('b', () => {}); test.each([1])('c', () => {}); });")).toBe(3);
		expect(countTests('def test_one():\n  pass\ndef helper():\n  pass\n')).toBe(1);
		expect(countTests('func TestX(t *testing.T) {}')).toBe(1);
		expect(countTests('process.exit(0)')).toBe(0);
	});
});

describe('matchesPathRule', () => {
	it.each([
		['scripts/verify.sh', 'scripts/verify.sh', true],
		['scripts/verify.sh', 'scripts/', true],
		['scripts/verify.sh', './scripts', true],
		['scriptsx/a', 'scripts', false],
		['scripts/verify.sh', 'scripts/*.sh', true],
		['scripts/deep/verify.sh', 'scripts/*.sh', false],
		['scripts/deep/verify.sh', 'scripts/**/*.sh', true],
		['a/fixtures/b/c.json', '**/fixtures/**', true],
		['fixtures/c.json', '**/fixtures/**', true],
		['x.py', '?.py', true],
	])('%s vs %s -> %s', (file, rule, expected) => {
		expect(matchesPathRule(file, rule)).toBe(expected);
	});
});

describe('isRunnerConfig', () => {
	it.each([
		['.npmrc', true],
		['sub/.npmrc', true],
		['conftest.py', true],
		['tests/conftest.py', true],
		['vitest.config.ts', true],
		['jest.config.mjs', true],
		['.mocharc.yml', true],
		['node_modules/.bin/vitest', true],
		['lib/site-packages/evil.pth', true],
		['src/npmrc.ts', false],
		['package.json', false],
		['src/config.ts', false],
	])('%s -> %s', (file, expected) => {
		expect(isRunnerConfig(file)).toBe(expected);
	});
});
