import {describe, expect, it} from 'vitest';
import {harnessSignature, RepeatDetector} from '../../../source/core/harness-errors.js';

describe('harness signatures', () => {
	it('the same agent timeout on two tickets is one signature; ids, numbers and paths are taken out', () => {
		const a = harnessSignature('T-1', 'implement', 'the agent failed: timed out after 12s; the process group was killed\nlog: /tmp/x/T-1/1.log');
		const b = harnessSignature('T-22', 'implement', 'the agent failed: timed out after 12s; the process group was killed');
		expect(a).toBe('the agent failed: timed out after #s; the process group was killed');
		expect(b).toBe(a);
		expect(harnessSignature('T-1', 'implement', 'the agent failed: spawn /opt/T-1/bin/claude ENOENT')).toBe('the agent failed: spawn <path> ENOENT');
	});

	it("a check that cannot run is a harness error; a check that runs and fails is the work's", () => {
		expect(harnessSignature('A', 'checks', 'check `npx jest` failed (exit 127): sh: npx-jest: not found')).toBeDefined();
		expect(harnessSignature('A', 'checks', 'check `npm test` failed (timed out): ...')).toBeDefined();
		expect(harnessSignature('A', 'checks', 'check `npm test` failed (exit 1): 1 failing')).toBeUndefined();
		// A failing test whose own output says "timed out" is still the work's failure.
		expect(harnessSignature('A', 'checks', 'check `npm test` failed (exit 1): Error: Test timed out in 5000ms')).toBeUndefined();
		expect(harnessSignature('A', 'plan', 'the planner failed: exited with code 127')).toBeDefined();
		expect(harnessSignature('A', 'review', 'the reviewer asked for changes')).toBeUndefined();
		// A reviewer CLI that cannot run fails every ticket alike; a reviewer that answers badly is the model's doing.
		expect(harnessSignature('A', 'review', 'the reviewer failed: spawn /usr/bin/codex ENOENT; asked twice')).toBe(
			'the reviewer failed: spawn <path> ENOENT; asked twice',
		);
		expect(harnessSignature('A', 'plan', 'the plan review failed: the reviewer failed: timed out after 5s; asked twice')).toBeDefined();
		expect(harnessSignature('A', 'review', 'the reviewer answered no valid verdict JSON (no JSON object); asked twice')).toBeUndefined();
		expect(harnessSignature('A', 'guard', 'the diff touches oracle/oracle.mjs')).toBeUndefined();
	});
});

describe('the repeat detector', () => {
	const timeout = 'the agent failed: timed out after 5s; the process group was killed';

	it('fires when the last N failures share one harness signature across two or more tickets', () => {
		const detector = new RepeatDetector(3);
		expect(detector.add('A', 'implement', timeout)).toBeUndefined();
		expect(detector.add('B', 'implement', timeout)).toBeUndefined();
		expect(detector.add('C', 'implement', timeout)).toEqual({
			signature: 'the agent failed: timed out after #s; the process group was killed',
			tickets: ['A', 'B', 'C'],
			count: 3,
		});
	});

	it('does not fire for one ticket failing the same way (its attempt cap handles that)', () => {
		const detector = new RepeatDetector(3);
		for (let i = 0; i < 5; i++) expect(detector.add('A', 'implement', timeout)).toBeUndefined();
	});

	it('a different failure in between breaks the streak, and so does a reset', () => {
		const detector = new RepeatDetector(2);
		detector.add('A', 'implement', timeout);
		detector.add('B', 'checks', 'check `npm test` failed (exit 1): boom');
		expect(detector.add('C', 'implement', timeout)).toBeUndefined();
		detector.reset();
		expect(detector.add('D', 'implement', timeout)).toBeUndefined();
		expect(detector.add('E', 'implement', timeout)).toMatchObject({tickets: ['D', 'E'], count: 2});
	});

	it('a limit of 0 turns it off', () => {
		const detector = new RepeatDetector(0);
		for (const id of ['A', 'B', 'C', 'D']) expect(detector.add(id, 'implement', timeout)).toBeUndefined();
	});
});
