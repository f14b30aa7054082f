import {describe, expect, it} from 'vitest';
import {extractVerdict} from '../../../source/core/review.js';

describe('reviewer verdicts', () => {
	it('takes the last valid verdict object, wherever prose or fences put it', () => {
		expect(extractVerdict('Looks good.\n```json\n{"verdict": "approve"}\n```')).toEqual({ok: true, verdict: {verdict: 'approve'}});
		const two = 'Earlier I thought {"verdict": "approve"} but no:\n{"verdict": "changes", "findings": ["handle {braces} in \\"strings\\""]}';
		expect(extractVerdict(two)).toEqual({ok: true, verdict: {verdict: 'changes', findings: ['handle {braces} in "strings"']}});
	});

	it('refuses prose, a wrong shape and changes without findings', () => {
		expect(extractVerdict('Ship it!')).toMatchObject({ok: false, reason: /no JSON object/});
		expect(extractVerdict('{"verdict": "maybe"}')).toMatchObject({ok: false});
		expect(extractVerdict('{"verdict": "changes", "findings": []}')).toMatchObject({ok: false, reason: /at least one finding/});
	});
});
