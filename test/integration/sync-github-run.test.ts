import {existsSync, readdirSync, readFileSync, statSync} from 'node:fs';
import path from 'node:path';
import {afterEach, beforeEach, describe, expect, it} from 'vitest';
import {listRuns} from '../../source/core/run-dir.js';
import {queueFile} from '../../source/tracker/sync/queue.js';
import {ScriptedGitHub} from '../helpers/github-server.js';
import {FAKE_AGENT, makeRepo, runCli, runEvents} from '../helpers/repo.js';

// `proofloop sync pull` + `proofloop run` + `proofloop sync push` against the
// scripted GitHub (every answer checked against GitHub's OpenAPI description),
// through the built CLI and the real octokit.

const TOKEN = 'ghp_SYNC_IT_token_that_no_agent_may_see_0123456789';
let gh: ScriptedGitHub;

beforeEach(async () => {
	gh = await new ScriptedGitHub().start();
});
afterEach(async () => {
	await gh.stop();
	expect(gh.defects).toEqual([]);
});

function setup(plan: Record<string, unknown>) {
	gh.add({title: 'Split words', body: 'Split the input into words.', labels: ['proofloop']});
	gh.add({title: 'Count words', body: 'Count them.', labels: ['proofloop'], blockedBy: [1]});
	const repo = makeRepo({
		tickets: [],
		config: {
			sync: {type: 'github', repo: gh.repo, labels: ['proofloop'], apiUrl: gh.url},
			// Each agent writes down its whole environment; each check fails when it sees a tracker token.
			agent: {type: 'command', command: `env > "$FAKE_ENV_DIR/env.$PROOFLOOP_TICKET.$PROOFLOOP_ATTEMPT.$$"; node ${FAKE_AGENT} {ticket} {attempt}`},
			checks: ['test -e README.md', 'test -z "$GITHUB_TOKEN$GH_TOKEN"'],
		},
		plan: {_sleepMs: 50, ...plan},
	});
	const env = {FAKE_AGENT_PLAN: repo.plan, FAKE_ENV_DIR: repo.io, GITHUB_TOKEN: TOKEN, PROOFLOOP_SYNC_PACE_MS: '5'};
	return {...repo, env, cli: (args: string[]) => runCli(repo.root, args, env)};
}

/** Every file under these directories whose bytes hold `needle`. */
function filesHolding(dirs: string[], needle: string): string[] {
	const out: string[] = [];
	const walk = (dir: string): void => {
		for (const entry of readdirSync(dir, {withFileTypes: true})) {
			const full = path.join(dir, entry.name);
			if (entry.isDirectory()) walk(full);
			else if (entry.isFile() && readFileSync(full).includes(needle)) out.push(full);
		}
	};
	for (const dir of dirs) walk(dir);
	return out;
}

describe('proofloop with GitHub Issues', () => {
	it('a run that refuses to start (exit 2) writes nothing, not even what its pull brought', async () => {
		gh.add({title: 'Elsewhere', labels: ['proofloop', 'sprint-9']});
		const repo = makeRepo({
			tickets: [],
			config: {sync: {type: 'github', repo: gh.repo, labels: ['proofloop'], apiUrl: gh.url, batchLabels: {'sprint-9': 'other'}}},
		});
		const result = await runCli(repo.root, ['run', '--headless'], {GITHUB_TOKEN: TOKEN, PROOFLOOP_SYNC_PACE_MS: '5'});
		expect(result.exitCode, result.stdout + result.stderr).toBe(2);
		expect(result.stderr).toMatch(/batch 'b' is empty/);
		expect(gh.requests.length, 'the pull asked the remote').toBeGreaterThan(0);
		expect(readdirSync(path.join(repo.root, '.proofloop/tickets'))).toEqual([]);
		expect(existsSync(path.join(repo.root, '.proofloop/sync/github.json'))).toBe(false);
		expect(listRuns(repo.root)).toEqual([]);
	});

	it('sync pull + run: every issue closed with one evidence comment, the filed ticket a new linked issue, the token in no agent, check or log', async () => {
		const {root, io, cli} = setup({'GH-2': 'file-blocker'});
		const pulled = await cli(['sync', 'pull']);
		expect(pulled.exitCode, pulled.stderr).toBe(0);
		expect(pulled.stdout).toMatch(/pulled acme\/app: 2 new/);

		const run = await cli(['run', '--headless']);
		expect(run.exitCode, `${run.stdout}\n${run.stderr}`).toBe(0);
		const filed = [...gh.issues.values()].find(i => i.title === 'Missing piece for GH-2');
		expect(filed, 'the filed ticket became an issue').toBeDefined();
		// It blocks the issue its ticket was filed to block.
		expect(gh.issues.get(2)!.blockedBy).toContain(filed!.number);
		for (const issue of gh.issues.values()) {
			expect(issue, `#${issue.number}`).toMatchObject({state: 'closed', state_reason: 'completed'});
			expect(issue.comments, `#${issue.number}`).toHaveLength(1);
			expect(issue.comments[0]!.body).toMatch(/merge commit: `[0-9a-f]{40}`[\s\S]*verify digest: `sha256:[0-9a-f]+`[\s\S]*run: `/);
		}
		const oracle = await cli(['oracle']);
		expect(oracle.exitCode, oracle.stdout).toBe(0);

		// The token reached GitHub and nothing else: no agent's environment, no check, no file of the repo, the run or the io dir.
		expect(gh.requests.every(r => r.auth === `token ${TOKEN}`)).toBe(true);
		const envs = readdirSync(io).filter(name => name.startsWith('env.'));
		expect(envs.length).toBeGreaterThanOrEqual(3);
		expect(readFileSync(path.join(io, envs[0]!), 'utf8')).toMatch(/^PROOFLOOP_TICKET=/m);
		expect(filesHolding([root, io], TOKEN)).toEqual([]);
		expect(filesHolding([root, io], 'GITHUB_TOKEN=')).toEqual([]);

		// The next pull gives the filed ticket its issue's key; after that, two syncs in a row write nothing on either side.
		const first = await cli(['sync', 'pull']);
		expect(first.stdout).toMatch(/0 new, 1 updated/);
		expect(readFileSync(path.join(root, '.proofloop/tickets/GH-3.md'), 'utf8')).toMatch(new RegExp(`^source: github#${filed!.number}$`, 'm'));
		const writes = gh.writes.length;
		const tickets = path.join(root, '.proofloop/tickets');
		const mtimes = readdirSync(tickets).map(name => statSync(path.join(tickets, name)).mtimeMs);
		for (let i = 0; i < 2; i++) {
			expect((await cli(['sync', 'push'])).stdout).toMatch(/0 delivered/);
			expect((await cli(['sync', 'pull'])).stdout).toMatch(/0 new, 0 updated/);
		}
		expect(gh.writes.length).toBe(writes);
		expect(readdirSync(tickets).map(name => statSync(path.join(tickets, name)).mtimeMs)).toEqual(mtimes);
		const check = await cli(['sync', 'check']);
		expect(check.exitCode, check.stdout).toBe(0);
	}, 240_000);

	it('an unreachable tracker: the run still finishes, its results are queued in the run directory and delivered by the next sync push', async () => {
		const {root, cli} = setup({});
		expect((await cli(['sync', 'pull'])).exitCode).toBe(0);
		gh.down = true;
		const run = await cli(['run', '--headless']);
		expect(run.exitCode, `${run.stdout}\n${run.stderr}`).toBe(0);
		const warnings = runEvents(root).flatMap(e => (e.type === 'warning' ? [e.message] : []));
		expect(warnings.join('\n')).toMatch(/sync pull skipped: GitHub unreachable[\s\S]*retry at/);
		expect(warnings.join('\n')).toMatch(/2 result\(s\) queued in .*sync-queue\.json/);
		const runDir = listRuns(root)[0]!.dir;
		const queued = JSON.parse(readFileSync(queueFile(runDir), 'utf8')) as {pending: Array<{action: {kind: string; ticket: string}}>};
		expect(queued.pending.map(p => `${p.action.ticket}:${p.action.kind}`).sort()).toEqual(['GH-1:done', 'GH-2:done']);
		expect(gh.writes).toEqual([]);

		gh.down = false;
		const push = await cli(['sync', 'push']);
		expect(push.exitCode, push.stdout + push.stderr).toBe(0);
		expect(push.stdout).toMatch(/2 delivered/);
		for (const issue of gh.issues.values()) {
			expect(issue.state).toBe('closed');
			expect(issue.comments).toHaveLength(1);
		}
		expect(existsSync(queueFile(runDir))).toBe(false);
	}, 240_000);
});
