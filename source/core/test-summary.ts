/**
 * What a test runner says it ran, read from its own summary in a command's
 * output (pure: text in, numbers out). Known: node --test (TAP and spec),
 * vitest, jest, mocha, pytest, go test. For each runner only its LAST summary
 * counts: the runner prints it when it ends, so a test that prints a forged
 * one earlier does not add to it.
 */
export type RunnerName = 'node' | 'vitest' | 'jest' | 'mocha' | 'pytest' | 'go';

/** `ran` = passed + failed (skipped and todo left out): the tests that really ran. */
export type TestTally = {runners: RunnerName[]; passed: number; failed: number};

type Count = {passed: number; failed: number};

// eslint-disable-next-line no-control-regex
const ANSI = /\u001B\[[0-9;?]*[ -/]*[@-~]/g;

const lastMatch = (text: string, re: RegExp): RegExpExecArray | undefined => {
	let last: RegExpExecArray | undefined;
	for (const match of text.matchAll(re)) last = match;
	return last;
};

const number = (text: string, re: RegExp): number => Number(re.exec(text)?.[1] ?? 0);

// A file `node --test` ran that declared no tests is reported as one test named by its path:
// an empty or early-exiting file is not a test that passed.
const NODE_FILE_ENTRY = /^(?:ok \d+ - |✔ )(\/\S+|\S+\/\S+)\.[cm]?[jt]sx?(?: \([\d.]+m?s\))?(?: # .*)?$/gm;

function nodeCount(text: string): Count | undefined {
	const block = /^(?<tag>#|ℹ) tests (\d+)\n\k<tag> suites \d+\n\k<tag> pass (\d+)\n\k<tag> fail (\d+)/gm;
	const all = [...text.matchAll(block)];
	const last = all.at(-1);
	if (!last) return undefined;
	// The lines this last run printed: since the run before it ended.
	const previous = all.at(-2);
	const from = previous ? previous.index + previous[0].length : 0;
	const fileEntries = [...text.slice(from, last.index).matchAll(NODE_FILE_ENTRY)].length;
	return {passed: Math.max(0, Number(last[3]) - fileEntries), failed: Number(last[4])};
}

function vitestCount(text: string): Count | undefined {
	// ` Tests  1 failed | 2 passed | 1 skipped (4)`
	const line = lastMatch(text, /^\s*Tests\s+((?:\d+ \w+(?: \| )?)+)\s*\(\d+\)\s*$/gm);
	if (!line) return undefined;
	return {passed: number(line[1]!, /(\d+) passed/), failed: number(line[1]!, /(\d+) failed/)};
}

function jestCount(text: string): Count | undefined {
	// `Tests:       1 failed, 1 skipped, 2 passed, 4 total`
	const line = lastMatch(text, /^Tests:\s+(.*\d+ total)\s*$/gm);
	if (!line) return undefined;
	return {passed: number(line[1]!, /(\d+) passed/), failed: number(line[1]!, /(\d+) failed/)};
}

function mochaCount(text: string): Count | undefined {
	const passing = lastMatch(text, /^\s*(\d+) passing \(\d+(?:\.\d+)?m?s\)\s*$/gm);
	if (!passing) return undefined;
	const failing = lastMatch(text.slice(passing.index), /^\s*(\d+) failing\s*$/gm);
	return {passed: Number(passing[1]), failed: Number(failing?.[1] ?? 0)};
}

function pytestCount(text: string): Count | undefined {
	// `===== 1 failed, 2 passed, 1 skipped in 0.12s =====` (or without the rules, with -q)
	const line = lastMatch(text, /^=*\s*((?:\d+ (?:passed|failed|skipped|errors?|xfailed|xpassed|deselected|warnings?|rerun)(?:, )?)+) in [\d.]+s\b.*$/gm);
	if (!line) {
		// Nothing collected also ends in a summary: `no tests ran in 0.01s`.
		return /^=*\s*no tests ran in [\d.]+s\b/m.test(text) ? {passed: 0, failed: 0} : undefined;
	}
	const parts = line[1]!;
	return {passed: number(parts, /(\d+) passed/), failed: number(parts, /(\d+) failed/) + number(parts, /(\d+) errors?\b/)};
}

function goCount(text: string): Count | undefined {
	// With -v each top-level test says `--- PASS: TestX`; without it, a package says `ok  \tpath\t0.01s`.
	const pass = [...text.matchAll(/^--- PASS: /gm)].length;
	const fail = [...text.matchAll(/^--- FAIL: /gm)].length;
	if (pass + fail > 0) return {passed: pass, failed: fail};
	const okPackages = [...text.matchAll(/^ok\s+\S+\s+(?:\(cached\)|[\d.]+s)/gm)].length;
	const failPackages = [...text.matchAll(/^FAIL\s+\S+\s+(?:[\d.]+s|\[)/gm)].length;
	return okPackages + failPackages > 0 ? {passed: okPackages, failed: failPackages} : undefined;
}

const PARSERS: Array<[RunnerName, (text: string) => Count | undefined]> = [
	['node', nodeCount],
	['vitest', vitestCount],
	['jest', jestCount],
	['mocha', mochaCount],
	['pytest', pytestCount],
	['go', goCount],
];

/**
 * The runners whose summary the output holds, and what they ran; undefined: no runner we can read.
 * `only`: read just these runners (base's): another runner's summary is a line any test can print.
 */
export function readTestSummary(output: string, only?: readonly RunnerName[]): TestTally | undefined {
	const text = output.replace(ANSI, '').replace(/\r\n?/g, '\n');
	const tally: TestTally = {runners: [], passed: 0, failed: 0};
	for (const [name, parse] of PARSERS) {
		if (only && !only.includes(name)) continue;
		const count = parse(text);
		if (!count) continue;
		tally.runners.push(name);
		tally.passed += count.passed;
		tally.failed += count.failed;
	}
	return tally.runners.length > 0 ? tally : undefined;
}
