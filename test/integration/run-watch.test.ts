import {existsSync, readFileSync, renameSync, rmSync, writeFileSync} from 'node:fs';
import path from 'node:path';
import {execa} from 'execa';
import {describe, expect, it} from 'vitest';
import type {EngineEvent} from '../../source/core/events.js';
import {listRuns} from '../../source/core/run-dir.js';
import {makeRepo, runCli, runEvents, type TicketSpec} from '../helpers/repo.js';

// What must not change under a running batch without a person looking: base
// moved by anyone but the merge queue, a broken tracker past its grace, the
// config fields that define the run. Real runs, real git, real agents.

const TAMPER_AGENT = path.resolve('test/fixtures/agents/tamper-agent.mjs');
const sleep = (ms: number) => new Promise(resolve => setTimeout(resolve, ms));

function repo(tickets: TicketSpec[], config: Record<string, unknown> = {}) {
	return makeRepo({tickets, config: {sandbox: 'none', attempts: 1, concurrency: 2, agent: {type: 'command', command: `node ${TAMPER_AGENT}`}, ...config}});
}

async function until(root: string, what: string, test: (events: EngineEvent[]) => boolean, timeoutMs = 60_000): Promise<EngineEvent[]> {
	const end = Date.now() + timeoutMs;
	for (;;) {
		const events = listRuns(root).length > 0 ? runEvents(root) : [];
		if (test(events)) return events;
		if (Date.now() > end) throw new Error(`timed out waiting for ${what}; events: ${events.map(e => e.type).join(', ')}`);
		await sleep(100);
	}
}

const stopReport = (root: string) => readFileSync(path.join(listRuns(root)[0]!.dir, 'stop-report.md'), 'utf8');
const git = async (root: string, args: string[], env: Record<string, string> = {}) => (await execa('git', args, {cwd: root, env})).stdout.trim();

describe("the merge queue's ledger moved by anyone but the engine", () => {
	it('an agent that commits a forged record onto proofloop-ledger halts the run; nothing is recorded on top of it', {timeout: 120_000}, async () => {
		const {root, plan} = repo([{id: 'A'}, {id: 'F', deps: ['A']}, {id: 'B', deps: ['F']}]);
		const result = await runCli(root, ['run', '--headless'], {
			FAKE_AGENT_PLAN: plan,
			FAKE_TAMPER_F: 'forge-ledger',
			FAKE_FORGED_TICKET: 'B',
			FAKE_AFTER_MS: '3000',
		});
		expect(result.exitCode, result.stdout + result.stderr).not.toBe(0);
		const events = runEvents(root);
		expect(events.find(e => e.type === 'run.halted')).toMatchObject({cause: 'ledger.foreign'});
		expect(events.at(-1)).toMatchObject({type: 'run.stopped', reason: 'halted'});
		expect(events.some(e => e.type === 'ticket.done' && e.ticket === 'F')).toBe(false);
		expect(events.some(e => e.type === 'attempt.started' && e.ticket === 'B')).toBe(false);
		// The forged commit is still the tip: the engine wrote nothing on top of it.
		const tip = await git(root, ['log', '-1', '--format=%s', 'proofloop-ledger']);
		expect(tip).toBe('proofloop: ledger B attempt 1');
		expect(stopReport(root)).toContain('TAMPER: refs/heads/proofloop-ledger');
	});
});

describe('base moved by anyone but the merge queue', () => {
	for (const lingerMs of [4000, 0]) {
		it(
			`an agent's forged commit onto base stops dispatch with the commit named; nothing merges (agent ${lingerMs ? 'lingers: seen while idle' : 'exits at once: seen by the watch or at merge'})`,
			{timeout: 120_000},
			async () => {
				const {root, plan} = repo([{id: 'F'}, {id: 'B', deps: ['F']}, {id: 'C'}]);
				const run = runCli(root, ['run', '--headless'], {
					FAKE_AGENT_PLAN: plan,
					FAKE_TAMPER_F: 'forge-base',
					FAKE_AFTER_MS: String(lingerMs),
					FAKE_TAMPER_C: 'ok',
					FAKE_SLEEP_MS: lingerMs ? '6000' : '0',
				});
				const result = await run;
				expect(result.exitCode, result.stdout + result.stderr).not.toBe(0);
				const events = runEvents(root);
				const forged = await git(root, ['rev-parse', 'main']);
				const foreign = events.find(e => e.type === 'base.foreign');
				expect(foreign).toMatchObject({tip: forged, commits: [{sha: forged, author: 'Mallory <mallory@agent.invalid>', subject: 'sneak onto base'}]});
				expect(events.find(e => e.type === 'run.halted')).toMatchObject({cause: 'base.foreign'});
				expect(events.at(-1)).toMatchObject({type: 'run.stopped', reason: 'halted'});
				// Never merged over: base is still the forged commit, and no merge was recorded after it.
				const at = events.indexOf(foreign!);
				expect(events.slice(at).filter(e => e.type === 'merge.done' || e.type === 'attempt.started')).toEqual([]);
				expect(events.some(e => e.type === 'ticket.done' && e.ticket === 'F')).toBe(false);
				expect(result.stdout).toContain(`BASE MOVED outside the merge queue: ${forged.slice(0, 12)} Mallory <mallory@agent.invalid>: sneak onto base`);
				const report = stopReport(root);
				expect(report).toContain('The run halted (base.foreign)');
				expect(report).toContain(`${forged.slice(0, 12)} Mallory <mallory@agent.invalid>: sneak onto base`);
				expect(report).toMatch(/fix: .*git update-ref refs\/heads\/main/);
			},
		);
	}

	it("a person's commit in the main checkout stops dispatch with the commit named", {timeout: 120_000}, async () => {
		const {root, plan} = repo([{id: 'A'}, {id: 'B', deps: ['A']}]);
		const run = runCli(root, ['run', '--headless'], {FAKE_AGENT_PLAN: plan, FAKE_SLEEP_MS: '5000'});
		await until(root, 'the first attempt', events => events.some(e => e.type === 'attempt.started'));
		await git(root, ['commit', '-q', '--allow-empty', '-m', 'hotfix by hand'], {GIT_AUTHOR_NAME: 'Pat', GIT_AUTHOR_EMAIL: 'pat@example.invalid'});
		const sha = await git(root, ['rev-parse', 'HEAD']);
		const result = await run;
		expect(result.exitCode).not.toBe(0);
		const events = runEvents(root);
		expect(events.find(e => e.type === 'base.foreign')).toMatchObject({commits: [{sha, author: 'Pat <pat@example.invalid>', subject: 'hotfix by hand'}]});
		expect(events.some(e => e.type === 'merge.done')).toBe(false);
		expect(events.at(-1)).toMatchObject({type: 'run.stopped', reason: 'halted'});
	});

	it('a commit that reached base while the engine was down halts the resumed run', {timeout: 120_000}, async () => {
		const {root, plan} = repo([{id: 'A'}, {id: 'B'}]);
		const env = {FAKE_AGENT_PLAN: plan, FAKE_TAMPER_A: 'ok', FAKE_SLEEP_MS: '1000'};
		// B is slow: A merges, then the engine dies with B still running.
		const first = runCli(root, ['run', '--headless'], {...env, FAKE_SLEEP_MS_B: '30000'});
		await until(root, "A's merge", events => events.some(e => e.type === 'merge.done'));
		first.kill('SIGKILL');
		await first;
		await git(root, ['commit', '-q', '--allow-empty', '-m', 'while it was down'], {GIT_AUTHOR_NAME: 'Pat', GIT_AUTHOR_EMAIL: 'pat@example.invalid'});
		const sha = await git(root, ['rev-parse', 'HEAD']);
		const result = await runCli(root, ['run', '--headless'], env);
		expect(result.exitCode).not.toBe(0);
		const events = runEvents(root);
		expect(events.some(e => e.type === 'run.resumed')).toBe(true);
		expect(events.find(e => e.type === 'base.foreign')).toMatchObject({
			tip: sha,
			commits: [{sha, author: 'Pat <pat@example.invalid>', subject: 'while it was down'}],
		});
		expect(events.at(-1)).toMatchObject({type: 'run.stopped', reason: 'halted'});
		expect(events.slice(events.findIndex(e => e.type === 'base.foreign')).filter(e => e.type === 'merge.done' || e.type === 'attempt.started')).toEqual([]);
	});
});

describe('no silent waits', () => {
	it('a deleted ticket is shown at once with its file and fix, and the run stops when the grace runs out', {timeout: 120_000}, async () => {
		const {root, plan} = repo([{id: 'A'}, {id: 'B', deps: ['A']}], {trackerGraceSeconds: 4});
		const run = runCli(root, ['run', '--headless'], {FAKE_AGENT_PLAN: plan, FAKE_SLEEP_MS: '1500'});
		await until(root, 'the first attempt', events => events.some(e => e.type === 'attempt.started'));
		rmSync(path.join(root, '.proofloop/tickets/B.md'));
		const deleted = Date.now();
		const seen = await until(root, 'tracker.broken', events => events.some(e => e.type === 'tracker.broken'));
		expect(Date.now() - deleted).toBeLessThan(10_000);
		const broken = seen.find(e => e.type === 'tracker.broken');
		expect(broken).toMatchObject({
			graceSeconds: 4,
			message: expect.stringMatching(/^\.proofloop\/tickets\/B\.md: ticket B of this run's batch is gone.*\n {2}fix: put it back/s),
		});
		const result = await run;
		expect(result.exitCode).not.toBe(0);
		expect(result.stdout).toMatch(
			/TRACKER BROKEN: \.proofloop\/tickets\/B\.md: ticket B .* \| fix: put it back \(git checkout -- \.proofloop\/tickets\/B\.md\).*\(the run stops in 4s unless fixed\)/,
		);
		const events = runEvents(root);
		expect(events.find(e => e.type === 'run.halted')).toMatchObject({
			cause: 'tracker',
			message: expect.stringContaining('not fixed within trackerGraceSeconds (4s)'),
		});
		expect(events.at(-1)).toMatchObject({type: 'run.stopped', reason: 'halted'});
		const stoppedAt = Date.parse(events.at(-1)!.at);
		expect(stoppedAt - Date.parse(broken!.at)).toBeGreaterThanOrEqual(3500);
		expect(stoppedAt - Date.parse(broken!.at)).toBeLessThan(30_000);
		expect(stopReport(root)).toContain('.proofloop/tickets/B.md: ticket B');
	});

	it('a ticket put back within the grace lets the run finish', {timeout: 120_000}, async () => {
		const {root, plan} = repo([{id: 'A'}, {id: 'B', deps: ['A']}], {trackerGraceSeconds: 60});
		const run = runCli(root, ['run', '--headless'], {FAKE_AGENT_PLAN: plan, FAKE_SLEEP_MS: '1500'});
		await until(root, 'the first attempt', events => events.some(e => e.type === 'attempt.started'));
		const file = path.join(root, '.proofloop/tickets/B.md');
		renameSync(file, `${file}.away`);
		await until(root, 'tracker.broken', events => events.some(e => e.type === 'tracker.broken'));
		renameSync(`${file}.away`, file);
		const result = await run;
		expect(result.exitCode, result.stdout + result.stderr).toBe(0);
		const events = runEvents(root);
		expect(events.some(e => e.type === 'tracker.fixed')).toBe(true);
		expect(events.some(e => e.type === 'run.halted')).toBe(false);
		expect(events.filter(e => e.type === 'ticket.done').map(e => ('ticket' in e ? e.ticket : ''))).toEqual(['A', 'B']);
	});

	it('a duplicate id mid-run is shown with its file and line', {timeout: 120_000}, async () => {
		const {root, plan} = repo([{id: 'A'}, {id: 'B', deps: ['A']}], {trackerGraceSeconds: 2});
		const run = runCli(root, ['run', '--headless'], {FAKE_AGENT_PLAN: plan, FAKE_SLEEP_MS: '1500'});
		await until(root, 'the first attempt', events => events.some(e => e.type === 'attempt.started'));
		writeFileSync(path.join(root, '.proofloop/tickets/B2.md'), readFileSync(path.join(root, '.proofloop/tickets/B.md'), 'utf8'));
		const result = await run;
		expect(result.exitCode).not.toBe(0);
		expect(result.stdout).toMatch(/TRACKER BROKEN: \.proofloop\/tickets\/B2\.md:2: duplicate id 'B'/);
		expect(runEvents(root).at(-1)).toMatchObject({type: 'run.stopped', reason: 'halted'});
	});

	it('batch changed in the main config mid-run stops the run at once', {timeout: 120_000}, async () => {
		const {root, plan} = repo([{id: 'A'}]);
		const run = runCli(root, ['run', '--headless'], {FAKE_AGENT_PLAN: plan, FAKE_SLEEP_MS: '8000'});
		await until(root, 'the first attempt', events => events.some(e => e.type === 'attempt.started'));
		const configFile = path.join(root, '.proofloop/config.json');
		const config = JSON.parse(readFileSync(configFile, 'utf8')) as Record<string, unknown>;
		writeFileSync(configFile, JSON.stringify({...config, batch: 'other'}, null, 2));
		const changed = Date.now();
		const result = await run;
		expect(result.exitCode).not.toBe(0);
		expect(Date.now() - changed).toBeLessThan(7000);
		expect(result.stdout).toContain('batch changed since the run started');
		const events = runEvents(root);
		expect(events.find(e => e.type === 'run.halted')).toMatchObject({
			cause: 'config',
			message: expect.stringContaining('batch changed since the run started (.proofloop/config.json: was "b", now "other")'),
		});
		expect(events.some(e => e.type === 'merge.done')).toBe(false);
		expect(existsSync(path.join(listRuns(root)[0]!.dir, 'stop-report.md'))).toBe(true);
	});
});
