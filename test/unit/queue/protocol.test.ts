import {describe, expect, it} from 'vitest';
import {AttemptResult, attemptIdOf, redactUrl, resultRef, startRef, versionRefusal} from '../../../source/queue/protocol.js';

describe('the queue protocol', () => {
	it('names one attempt once: the job id, its refs on the remote', () => {
		const id = attemptIdOf('20261207-151200-ab12', 'T-1', 2);
		expect(id).toBe('20261207-151200-ab12/T-1/a2');
		expect(id).not.toContain(':');
		expect(startRef(id, 'f'.repeat(40))).toBe(`refs/proofloop/start/20261207-151200-ab12/T-1/a2/${'f'.repeat(40)}`);
		expect(resultRef(id)).toBe('refs/proofloop/result/20261207-151200-ab12/T-1/a2');
	});

	it('takes a result only with a full sha for its head', () => {
		const result = {
			version: '0.1.0',
			attemptId: 'r/T-1/a1',
			host: 'w1',
			agent: {ok: true, reason: 'exit 0', timedOut: false, durationMs: 5, usage: {inputTokens: 0, outputTokens: 0, costUsd: 0}},
			branch: 'proofloop/T-1',
			leftover: false,
		};
		expect(AttemptResult.safeParse({...result, head: 'a'.repeat(40)}).success).toBe(true);
		expect(AttemptResult.safeParse({...result, head: 'HEAD~1'}).success).toBe(false);
	});

	it('hides a password in what it prints and names both versions in a refusal', () => {
		expect(redactUrl('rediss://:s3cret@host:6380/1')).toBe('rediss://***@host:6380/1');
		expect(redactUrl('redis://host:6379/0')).toBe('redis://host:6379/0');
		expect(versionRefusal('0.0.9', '0.1.0', 'w1')).toMatch(/worker w1 runs proofloop 0\.0\.9, the coordinator 0\.1\.0: refused/);
	});
});
