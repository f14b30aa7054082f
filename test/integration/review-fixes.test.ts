import {readFileSync, writeFileSync} from 'node:fs';
import path from 'node:path';
import {describe, expect, it} from 'vitest';
import {execa} from 'execa';
import {findRunProcesses} from '../../source/process/orphans.js';
import {listRuns} from '../../source/core/run-dir.js';
import {CLI, makeRepo, runCli, runEvents, trailerCount} from '../helpers/repo.js';

const sleep = (ms: number) => new Promise(resolve => setTimeout(resolve, ms));
async function waitFor(predicate: () => boolean, timeoutMs = 30_000): Promise<void> {
	const until = Date.now() + timeoutMs;
	while (!predicate()) {
		if (Date.now() > until) throw new Error('timed out waiting');
		await sleep(25);
	}
}
const eventsText = (root: string) => {
	const run = listRuns(root)[0];
	try {
		return run ? readFileSync(run.eventsFile, 'utf8') : '';
	} catch {
		return '';
	}
};

describe('what a hostile or unlucky night does', () => {
	it('an agent that writes another ticket done in the main checkout is put back, and that ticket still runs', async () => {
		// Unsandboxed, the write lands and the engine must catch it (sandboxed it fails with EROFS: sandbox.test.ts).
		const {root, plan} = makeRepo({
			tickets: [{id: 'A'}, {id: 'B', deps: ['A']}],
			config: {concurrency: 1, sandbox: 'none'},
			plan: {A: 'forge-other', _forgeTarget: 'B', _sleepMs: 50},
		});
		const result = await runCli(root, ['run', '--headless'], {FAKE_AGENT_PLAN: plan, FAKE_MAIN_CHECKOUT: root});
		expect(result.exitCode).toBe(0);
		const events = runEvents(root);
		expect(events.some(e => e.type === 'warning' && e.ticket === 'B' && /never wrote/.test(e.message))).toBe(true);
		// B was really attempted and merged by the engine, not by the forgery.
		expect(events.some(e => e.type === 'attempt.started' && e.ticket === 'B')).toBe(true);
		expect(await trailerCount(root, 'B')).toBeGreaterThanOrEqual(1);
	});

	it('a worker that parks itself (files its blocker) and then leaves its branch stays parked, and resumes on its branch', async () => {
		const {root, plan} = makeRepo({tickets: [{id: 'A'}], config: {sandbox: 'none', attempts: 1}, plan: {A: 'file-blocker', '_detach:A': true, _sleepMs: 50}});
		const result = await runCli(root, ['run', '--headless'], {FAKE_AGENT_PLAN: plan});
		expect(result.exitCode, result.stdout).toBe(0);
		const events = runEvents(root);
		expect(events.filter(e => e.type === 'attempt.failed')).toEqual([]);
		expect(events.find(e => e.type === 'attempt.parked' && e.ticket === 'A')).toMatchObject({attempt: 1});
		// A parked attempt is not charged: the resumed one is attempt 1 again, within a budget of 1.
		expect(events.find(e => e.type === 'ticket.done' && e.ticket === 'A')).toMatchObject({attempt: 1});
	});

	it('an agent that leaves its worktree on another branch fails the attempt: its leftovers are not committed there, and the next attempt works on its own branch', async () => {
		// Unsandboxed: in bwrap the worktree's HEAD and other branches' refs are read-only, so the switch itself fails.
		const {root, plan} = makeRepo({tickets: [{id: 'A'}], config: {sandbox: 'none'}, plan: {A: 'switch-branch', _sleepMs: 50}});
		const result = await runCli(root, ['run', '--headless'], {FAKE_AGENT_PLAN: plan});
		expect(result.exitCode).toBe(0);
		const failed = runEvents(root).filter(e => e.type === 'attempt.failed');
		expect(failed).toEqual([
			expect.objectContaining({attempt: 1, stage: 'implement', reason: expect.stringMatching(/left its worktree on branch rogue-A instead of proofloop\/A/)}),
		]);
		// proofloop committed nothing onto the branch the agent wandered to.
		const rogue = await execa('git', ['log', '--format=%s', 'rogue-A'], {cwd: root});
		expect(rogue.stdout).not.toMatch(/work left uncommitted/);
		expect(await trailerCount(root, 'A')).toBe(1);
	});

	it('a stop during verify, after the merge landed, resumes at verify: one merge, not a second attempt', async () => {
		const {root, plan} = makeRepo({tickets: [{id: 'A'}], config: {verify: ['sleep 2 && test -e work/A.txt']}, plan: {_sleepMs: 50}});
		const engine = execa(process.execPath, [CLI, 'run', '--headless'], {cwd: root, reject: false, env: {FAKE_AGENT_PLAN: plan}, stdin: 'ignore'});
		await waitFor(() => eventsText(root).includes('"stage":"verify"'));
		engine.kill('SIGTERM');
		await engine;
		expect(eventsText(root)).toMatch(/"type":"run.stopped","reason":"signal"/);
		const resumed = await runCli(root, ['run', '--headless'], {FAKE_AGENT_PLAN: plan});
		expect(resumed.exitCode).toBe(0);
		const events = runEvents(root);
		expect(events.filter(e => e.type === 'attempt.started')).toHaveLength(1);
		expect(await trailerCount(root, 'A')).toBe(1);
	});

	it('a check that leaves a server running does not hang the engine, and nothing of the run survives it', async () => {
		const {root, plan} = makeRepo({
			tickets: [{id: 'A'}, {id: 'B'}],
			config: {checks: ['(sleep 300 &) ; setsid sleep 300 & test -e README.md'], checkTimeoutSeconds: 20},
			plan: {B: 'background', _sleepMs: 50},
		});
		const started = Date.now();
		const result = await runCli(root, ['run', '--headless'], {FAKE_AGENT_PLAN: plan});
		expect(result.exitCode).toBe(0);
		expect(Date.now() - started).toBeLessThan(15_000);
		expect(findRunProcesses(listRuns(root)[0]!.id)).toEqual([]);
	});

	it('a ticket saved broken mid-run pauses dispatch instead of abandoning the run; fixed, the run finishes', async () => {
		const {root, plan} = makeRepo({tickets: [{id: 'A'}, {id: 'B', deps: ['A']}], config: {concurrency: 1}, plan: {_sleepMs: 1500}});
		const file = path.join(root, '.proofloop/tickets/B.md');
		const good = readFileSync(file, 'utf8');
		const engine = execa(process.execPath, [CLI, 'run', '--headless'], {cwd: root, reject: false, env: {FAKE_AGENT_PLAN: plan}, stdin: 'ignore'});
		await waitFor(() => eventsText(root).includes('"type":"agent.spawned"'));
		writeFileSync(file, good.replace('status: todo', 'status: bogus'));
		await waitFor(() => eventsText(root).includes('does not read cleanly'));
		await sleep(500);
		expect(eventsText(root)).not.toMatch(/"type":"attempt.started","maxAttempts":\d+,"agent":"command","worktree":"[^"]*\/B"/);
		writeFileSync(file, good);
		await waitFor(() => eventsText(root).includes('"type":"run.stopped"'), 40_000);
		const result = await engine;
		expect(result.exitCode).toBe(0);
	});
});
