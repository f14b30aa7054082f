import {readFileSync, writeFileSync} from 'node:fs';
import path from 'node:path';
import {describe, expect, it} from 'vitest';
import {listRuns} from '../../source/core/run-dir.js';
import {makeRepo, runCli, runEvents, trailerCount} from '../helpers/repo.js';

const reviewer = {type: 'command', command: `node ${path.resolve('test/fixtures/agents/fake-reviewer.mjs')} {prompt_file}`};

describe('the second-model review between guard and merge', () => {
	it('a "changes" verdict fails the attempt, its findings reach the next attempt\'s prompt, and the ticket then merges', async () => {
		const {root, plan} = makeRepo({tickets: [{id: 'A'}], config: {reviewer}, plan: {_sleepMs: 20}});
		const reviews = `${plan}.reviews.json`;
		writeFileSync(reviews, JSON.stringify({A: ['changes', 'approve']}));
		const result = await runCli(root, ['run', '--headless'], {FAKE_AGENT_PLAN: plan, FAKE_REVIEW_PLAN: reviews});
		expect(result.exitCode).toBe(0);
		const events = runEvents(root);
		expect(events.filter(e => e.type === 'review.result').map(e => (e.type === 'review.result' ? e.verdict : ''))).toEqual(['changes', 'approve']);
		expect(events.find(e => e.type === 'attempt.failed')).toMatchObject({stage: 'review'});
		const run = listRuns(root)[0]!;
		expect(readFileSync(run.promptFile('A', 2), 'utf8')).toMatch(/name the output file work\/A\.out/);
		expect(readFileSync(run.promptFile('A', 1), 'utf8')).not.toMatch(/work\/A\.out/);
		expect(await trailerCount(root, 'A')).toBe(1);
	});

	it('a reviewer that answers no valid verdict is asked once more, then the attempt fails; review rounds are capped', async () => {
		const {root, plan} = makeRepo({tickets: [{id: 'G'}, {id: 'C'}], config: {reviewer, attempts: 3, reviewRounds: 1}, plan: {_sleepMs: 20}});
		const reviews = `${plan}.reviews.json`;
		writeFileSync(reviews, JSON.stringify({G: ['garbage'], C: ['changes']}));
		const result = await runCli(root, ['run', '--headless'], {FAKE_AGENT_PLAN: plan, FAKE_REVIEW_PLAN: reviews});
		expect(result.exitCode).toBe(1);
		const events = runEvents(root);
		const failedG = events.find(e => e.type === 'attempt.failed' && e.ticket === 'G');
		expect(failedG && 'reason' in failedG ? failedG.reason : '').toMatch(/no valid verdict JSON.*asked twice/);
		expect(Number(readFileSync(`${reviews}.G.count`, 'utf8'))).toBeGreaterThanOrEqual(2);
		// One "changes" round allowed: C is failed after it, not retried.
		expect(events.filter(e => e.type === 'attempt.started' && e.ticket === 'C')).toHaveLength(1);
		expect(readFileSync(path.join(root, '.proofloop/tickets/C.md'), 'utf8')).toMatch(/status: failed/);
		expect(await trailerCount(root, 'C')).toBe(0);
	});
});
