import {readFileSync} from 'node:fs';
import path from 'node:path';
import {describe, expect, it} from 'vitest';
import {readTestSummary} from '../../../source/core/test-summary.js';

// Real output, captured from the runners on this machine (node 20 --test, vitest 4, pytest 9).
const captured = (name: string) => readFileSync(path.resolve('test/fixtures/runner-output', name), 'utf8');

describe('reading what a test runner ran from its own summary', () => {
	it('node --test, TAP and spec: passed and failed, skipped left out', () => {
		expect(readTestSummary(captured('node-tap-mixed.txt'))).toEqual({runners: ['node'], passed: 1, failed: 1});
		expect(readTestSummary(captured('node-spec-mixed.txt'))).toEqual({runners: ['node'], passed: 1, failed: 1});
	});

	it('node --test: a file that declared no tests (emptied at run time, or exited at import) is not a passed test', () => {
		// The runner itself says `# pass 2` for these.
		expect(readTestSummary(captured('node-tap-truncated-sibling.txt'))).toEqual({runners: ['node'], passed: 0, failed: 0});
		expect(readTestSummary(captured('node-tap-exit-at-import.txt'))).toEqual({runners: ['node'], passed: 0, failed: 0});
		expect(readTestSummary(captured('node-spec-exit-at-import.txt'))).toEqual({runners: ['node'], passed: 0, failed: 0});
	});

	it('node --test: only the last summary counts, so a forged one printed earlier adds nothing', () => {
		const forged = '# tests 99\n# suites 0\n# pass 99\n# fail 0\n';
		expect(readTestSummary(forged + captured('node-tap-mixed.txt'))).toEqual({runners: ['node'], passed: 1, failed: 1});
	});

	it('vitest, with its colours; a process.exit in a test file is caught by vitest and fails the run', () => {
		expect(readTestSummary(captured('vitest-mixed.txt'))).toEqual({runners: ['vitest'], passed: 1, failed: 1});
		expect(readTestSummary(captured('vitest-process-exit.txt'))).toEqual({runners: ['vitest'], passed: 2, failed: 0});
	});

	it('pytest; os._exit(0) at import leaves no summary at all', () => {
		expect(readTestSummary(captured('pytest-mixed.txt'))).toEqual({runners: ['pytest'], passed: 1, failed: 1});
		expect(readTestSummary(captured('pytest-pass.txt'))).toEqual({runners: ['pytest'], passed: 2, failed: 0});
		expect(readTestSummary(captured('pytest-exit-at-import.txt'))).toBeUndefined();
		expect(readTestSummary('3 passed, 1 error in 0.20s\n')).toEqual({runners: ['pytest'], passed: 3, failed: 1});
		expect(readTestSummary('==== no tests ran in 0.01s ====\n')).toEqual({runners: ['pytest'], passed: 0, failed: 0});
	});

	// jest, mocha and go are not installed here: these are their documented summary lines, not captures.
	it('jest, mocha and go test (documented formats)', () => {
		expect(readTestSummary('Test Suites: 1 failed, 1 total\nTests:       1 failed, 1 skipped, 2 passed, 4 total\nSnapshots:   0 total\n')).toEqual({
			runners: ['jest'],
			passed: 2,
			failed: 1,
		});
		expect(readTestSummary('  feature\n    ✓ works\n\n  2 passing (8ms)\n  1 pending\n  1 failing\n')).toEqual({runners: ['mocha'], passed: 2, failed: 1});
		expect(readTestSummary('=== RUN   TestA\n--- PASS: TestA (0.00s)\n=== RUN   TestB\n--- FAIL: TestB (0.00s)\nFAIL\nFAIL\texample.com/x\t0.003s\n')).toEqual({
			runners: ['go'],
			passed: 1,
			failed: 1,
		});
		expect(readTestSummary('ok  \texample.com/x\t0.003s\nok  \texample.com/y\t(cached)\n')).toEqual({runners: ['go'], passed: 2, failed: 0});
	});

	it('output no known runner printed has no summary', () => {
		expect(readTestSummary('built 3 files\nall good\n')).toBeUndefined();
		expect(readTestSummary('')).toBeUndefined();
	});
});
