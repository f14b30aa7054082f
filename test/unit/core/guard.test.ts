import {describe, expect, it} from 'vitest';
import {guardDiff, isProtected} from '../../../source/core/guard.js';

const paths = ['oracle/', '.proofloop/tickets/', '.proofloop/config.json'];

describe('guard', () => {
	it('refuses an empty diff', () => {
		const verdict = guardDiff([], paths, 'main');
		expect(verdict.ok).toBe(false);
		expect(!verdict.ok && verdict.reason).toMatch(/empty/);
	});

	it('refuses a diff touching the oracle, the tickets or the config, naming the files', () => {
		for (const file of ['oracle/oracle.mjs', '.proofloop/tickets/T-1.md', '.proofloop/config.json']) {
			const verdict = guardDiff(['src/a.js', file], paths, 'main');
			expect(verdict.ok).toBe(false);
			expect(!verdict.ok && verdict.reason).toContain(file);
		}
	});

	it('lets ordinary work through, including look-alike names', () => {
		expect(guardDiff(['src/oracle.js', 'oracle-notes.md', '.proofloop-other'], paths, 'main')).toEqual({ok: true});
		expect(isProtected('oracle', ['oracle/'])).toBe(true);
	});
});
