import {describe, expect, it} from 'vitest';
import {shortfall} from '../../../source/core/check-results.js';

describe('a passing check counts only with at least the tests base ran', () => {
	const base = {runners: ['node' as const], passed: 5, failed: 2};

	it('refuses fewer passing tests than base ran (passed and failed), naming both counts', () => {
		expect(shortfall('npm test', {runners: ['node'], passed: 3, failed: 0}, base)).toBe(
			"the checks ran 3 passing tests (`npm test`); base's run of the same command ran 7: tests were skipped or the runner ended early",
		);
	});

	it('refuses a known runner that printed no summary', () => {
		expect(shortfall('pytest', undefined, {runners: ['pytest'], passed: 1, failed: 0})).toMatch(
			/`pytest` exited 0 but printed no pytest summary; base's run of the same command ran 1 tests/,
		);
		expect(shortfall('npm test', {runners: ['vitest'], passed: 9, failed: 0}, base)).toMatch(/printed no node summary/);
	});

	it('passes as many or more; keeps the exit-code rule when base printed nothing we can read', () => {
		expect(shortfall('npm test', {runners: ['node'], passed: 7, failed: 0}, base)).toBeUndefined();
		expect(shortfall('npm test', {runners: ['node'], passed: 8, failed: 0}, base)).toBeUndefined();
		expect(shortfall('make lint', undefined, null)).toBeUndefined();
	});
});
