import {readFileSync, writeFileSync} from 'node:fs';
import path from 'node:path';
import {execa} from 'execa';
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

describe('plan review (planReview: true)', () => {
	it('the plan is reviewed before any change: "changes" sends the finding into the next plan prompt, the approved plan into the implement prompt, and the ticket merges', async () => {
		const {root, plan} = makeRepo({tickets: [{id: 'A'}], config: {reviewer, planReview: true}, plan: {_sleepMs: 20}});
		const reviews = `${plan}.reviews.json`;
		writeFileSync(reviews, JSON.stringify({'A:plan': ['changes', 'approve'], A: ['approve']}));
		const result = await runCli(root, ['run', '--headless'], {FAKE_AGENT_PLAN: plan, FAKE_REVIEW_PLAN: reviews});
		expect(result.exitCode).toBe(0);
		const events = runEvents(root);
		const order = events.flatMap(e => {
			if (e.type === 'stage' && ['plan', 'implement', 'review', 'merge'].includes(e.stage)) return [e.stage];
			if (e.type === 'plan.result') return [`plan ${e.verdict}`];
			if (e.type === 'review.result') return [`review ${e.verdict}`];
			if (e.type === 'ticket.done') return ['done'];
			return [];
		});
		expect(order).toEqual(['plan', 'plan changes', 'plan approve', 'implement', 'review', 'review approve', 'merge', 'done']);
		const run = listRuns(root)[0]!;
		const planPrompt = (round: number) => readFileSync(run.promptFile('A', 1).replace(/\.md$/, `.plan-${round}.md`), 'utf8');
		expect(planPrompt(1)).not.toMatch(/which check proves it/);
		expect(planPrompt(2)).toMatch(/A: the plan must say which check proves it/);
		// The implement prompt carries the plan that was approved (the second one), not the first.
		const implement = readFileSync(run.promptFile('A', 1), 'utf8');
		expect(implement).toMatch(/The plan the reviewer approved for this attempt \(build this\):\nPLAN 2 for A/);
		expect(implement).not.toMatch(/PLAN 1 for A/);
		// The planner's stray file was put back: it is in no commit.
		expect((await execa('git', ['log', '--all', '--format=%H', '--', 'planner-was-here.txt'], {cwd: root})).stdout).toBe('');
		expect(await trailerCount(root, 'A')).toBe(1);
	});

	it('a plan never approved within reviewRounds fails the attempt at the plan stage, before any change is made', async () => {
		const {root, plan} = makeRepo({tickets: [{id: 'A'}], config: {reviewer, planReview: true, reviewRounds: 2, attempts: 1}, plan: {_sleepMs: 20}});
		const reviews = `${plan}.reviews.json`;
		writeFileSync(reviews, JSON.stringify({'A:plan': ['changes']}));
		const result = await runCli(root, ['run', '--headless'], {FAKE_AGENT_PLAN: plan, FAKE_REVIEW_PLAN: reviews});
		expect(result.exitCode).toBe(1);
		const events = runEvents(root);
		expect(events.filter(e => e.type === 'plan.result')).toHaveLength(2);
		expect(events.find(e => e.type === 'attempt.failed')).toMatchObject({stage: 'plan', reason: expect.stringMatching(/not approved in 2 round/)});
		expect(events.some(e => e.type === 'stage' && e.stage === 'implement')).toBe(false);
	});

	it('whatever the planner leaves (a tracked edit, a stale index.lock) is put back before the worker starts, and a planner that fails is logged with its cost', async () => {
		const {root, plan} = makeRepo({
			tickets: [{id: 'A'}, {id: 'B'}],
			config: {reviewer, planReview: true, attempts: 1},
			plan: {_sleepMs: 20, '_planner:A': 'edit-and-lock', '_planner:B': 'fail'},
		});
		const reviews = `${plan}.reviews.json`;
		writeFileSync(reviews, JSON.stringify({'A:plan': ['approve'], A: ['approve']}));
		const result = await runCli(root, ['run', '--headless'], {FAKE_AGENT_PLAN: plan, FAKE_REVIEW_PLAN: reviews});
		expect(result.exitCode).toBe(1);
		const events = runEvents(root);
		expect(events.find(e => e.type === 'ticket.done' && e.ticket === 'A')).toBeDefined();
		// The planner's rewrite of README.md is in no commit on main.
		expect((await execa('git', ['log', '--format=%H', 'main', '--', 'README.md'], {cwd: root})).stdout.split('\n')).toHaveLength(1);
		// B's planner failed: the round is logged (its cost counts), the attempt fails at plan, as a harness error would read.
		expect(events.find(e => e.type === 'plan.result' && e.ticket === 'B')).toMatchObject({
			verdict: 'failed',
			findings: [expect.stringMatching(/^the planner failed:/)],
		});
		expect(events.find(e => e.type === 'attempt.failed' && e.ticket === 'B')).toMatchObject({
			stage: 'plan',
			reason: expect.stringMatching(/^the planner failed:/),
		});
		// The pane left "queued" when the planner started: a spawn is logged for it.
		expect(events.filter(e => e.type === 'agent.spawned' && e.ticket === 'B')).toHaveLength(1);
	});

	it('planReview without a reviewer is a config error with the fix; off (the default) no plan stage runs', async () => {
		const {root} = makeRepo({tickets: [{id: 'A'}], config: {planReview: true}});
		const refused = await runCli(root, ['run', '--headless']);
		expect(refused.exitCode).toBe(2);
		expect(refused.stderr).toMatch(/planReview: true needs a reviewer[\s\S]*fix: set "reviewer"/);
		const off = makeRepo({tickets: [{id: 'A'}], config: {reviewer}, plan: {_sleepMs: 20}});
		const reviews = `${off.plan}.reviews.json`;
		writeFileSync(reviews, JSON.stringify({}));
		expect((await runCli(off.root, ['run', '--headless'], {FAKE_AGENT_PLAN: off.plan, FAKE_REVIEW_PLAN: reviews})).exitCode).toBe(0);
		expect(runEvents(off.root).some(e => e.type === 'stage' && e.stage === 'plan')).toBe(false);
	});
});
