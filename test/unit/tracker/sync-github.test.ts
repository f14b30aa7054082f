import {existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import path from 'node:path';
import {afterEach, beforeEach, describe, expect, it} from 'vitest';
import {openSync, syncCheck, syncPull, syncPush, type SyncProject} from '../../../source/tracker/sync/session.js';
import {RemoteUnavailableError, SyncInputError} from '../../../source/tracker/sync/source.js';
import {GithubSyncConfig} from '../../../source/tracker/sync/config.js';
import {setFrontMatterFields} from '../../../source/tracker/front-matter-write.js';
import {recordMerges} from '../../helpers/merge-ledger.js';
import {queueFile} from '../../../source/tracker/sync/queue.js';
import {ScriptedGitHub} from '../../helpers/github-server.js';
import {assertGitHubShape} from '../../helpers/github-openapi.js';

// The GitHub sync against a scripted GitHub REST server (every answer checked
// against GitHub's OpenAPI description), driven by the real octokit client.

const TOKEN = 'ghp_sync_test_token_never_for_agents';
let gh: ScriptedGitHub;
let root: string;
const dir = '.proofloop/tickets';

function project(extra: Record<string, unknown> = {}): SyncProject {
	const sync = GithubSyncConfig.parse({type: 'github', repo: gh.repo, labels: ['proofloop'], apiUrl: gh.url, lockLabels: {'needs-infra': 'infra'}, ...extra});
	return {root, sync, batch: 'b1', trackerDir: dir, agentEnv: {pass: [], set: {}}, version: 'test'};
}
const session = (extra?: Record<string, unknown>) => openSync(project(extra), {GITHUB_TOKEN: TOKEN, PROOFLOOP_SYNC_PACE_MS: '5'});
const ticket = (id: string) => readFileSync(path.join(root, dir, `${id}.md`), 'utf8');
const edit = (id: string, fields: Record<string, unknown>) => writeFileSync(path.join(root, dir, `${id}.md`), setFrontMatterFields(ticket(id), fields));

beforeEach(async () => {
	gh = await new ScriptedGitHub().start();
	root = mkdtempSync(path.join(tmpdir(), 'pl-sync-'));
	mkdirSync(path.join(root, dir), {recursive: true});
});
afterEach(async () => {
	await gh.stop();
	expect(gh.defects).toEqual([]);
	rmSync(root, {recursive: true, force: true});
});

describe('sync pull', () => {
	it('maps title, body, blocked-by and a lock label; a second pull writes nothing and asks only conditionally', async () => {
		gh.add({title: 'Split words', body: 'Scope: split.\r\nDone when tested.', labels: ['proofloop']});
		gh.add({title: 'Count words', labels: ['proofloop', 'needs-infra'], blockedBy: [1]});
		gh.add({title: 'Not selected', labels: []});
		gh.add({title: 'Closed one', labels: ['proofloop'], state: 'closed', state_reason: 'completed'});
		const first = await syncPull(session());
		expect(first.created.sort()).toEqual(['GH-1', 'GH-2']);
		expect(ticket('GH-2')).toMatch(/^title: Count words$/m);
		expect(ticket('GH-2')).toMatch(/^deps: \[GH-1\]$/m);
		expect(ticket('GH-2')).toMatch(/^locks: \[infra\]$/m);
		expect(ticket('GH-2')).toMatch(/^source: github#2$/m);
		expect(ticket('GH-1')).toMatch(/^batch: b1$/m);
		expect(ticket('GH-1')).toContain('---\nScope: split.\nDone when tested.\n');
		expect(existsSync(path.join(root, dir, 'GH-3.md'))).toBe(false);
		expect(existsSync(path.join(root, dir, 'GH-4.md'))).toBe(false);

		const mtimes = ['GH-1', 'GH-2'].map(id => statSync(path.join(root, dir, `${id}.md`)).mtimeMs);
		const stateFile = path.join(root, '.proofloop/sync/github.json');
		const stateTime = statSync(stateFile).mtimeMs;
		const before = gh.requests.length;
		const second = await syncPull(session());
		expect(second).toMatchObject({created: [], updated: [], stateWritten: false});
		expect(['GH-1', 'GH-2'].map(id => statSync(path.join(root, dir, `${id}.md`)).mtimeMs)).toEqual(mtimes);
		expect(statSync(stateFile).mtimeMs).toBe(stateTime);
		// Every repeat GET was conditional and answered 304.
		expect(gh.requests.slice(before).map(r => r.status)).toEqual(gh.requests.slice(before).map(() => 304));
		expect(gh.writes).toEqual([]);
		expect(gh.requests.every(r => r.auth === `token ${TOKEN}`)).toBe(true);
	});

	it("takes a person's edit of an issue between syncs, and only that ticket changes", async () => {
		gh.add({title: 'One', labels: ['proofloop']});
		gh.add({title: 'Two', labels: ['proofloop']});
		await syncPull(session());
		const untouched = statSync(path.join(root, dir, 'GH-1.md')).mtimeMs;
		edit('GH-2', {status: 'in_progress'});
		gh.edit(2, {title: 'Two, renamed', body: 'New scope.', labels: ['proofloop', 'needs-infra']});
		const r = await syncPull(session());
		expect(r.updated).toEqual(['GH-2']);
		expect(ticket('GH-2')).toMatch(/^title: Two, renamed$/m);
		expect(ticket('GH-2')).toMatch(/^locks: \[infra\]$/m);
		expect(ticket('GH-2')).toMatch(/^status: in_progress$/m);
		expect(ticket('GH-2')).toContain('---\nNew scope.\n');
		expect(statSync(path.join(root, dir, 'GH-1.md')).mtimeMs).toBe(untouched);
	});

	it("keeps a person's own edit of a pulled ticket's title, locks or body, names it, and pulls it again once undone", async () => {
		gh.add({title: 'One', body: 'Scope one.', labels: ['proofloop']});
		gh.add({title: 'Two', labels: ['proofloop']});
		await syncPull(session());
		const pulled = ticket('GH-1');
		const mine = pulled.replace('Scope one.', 'Scope one, and my notes on how.');
		writeFileSync(path.join(root, dir, 'GH-1.md'), mine);
		edit('GH-2', {status: 'in_progress'});
		gh.edit(1, {title: 'One, renamed'});
		gh.edit(2, {title: 'Two, renamed'});
		const r = await syncPull(session());
		expect(ticket('GH-1')).toBe(mine);
		expect(r.warnings.join('\n')).toMatch(/GH-1\.md: your edits to its title, locks or body since the last pull are kept; .*#1 says otherwise/);
		// The engine's status write is not a person's edit: GH-2 takes the remote's title.
		expect(r.updated).toEqual(['GH-2']);
		expect(ticket('GH-2')).toMatch(/^title: Two, renamed$/m);
		// Kept on every pull until the person undoes it; then the remote's text comes in.
		expect((await syncPull(session())).warnings.join('\n')).toMatch(/GH-1\.md: your edits/);
		writeFileSync(path.join(root, dir, 'GH-1.md'), pulled);
		const undone = await syncPull(session());
		expect(undone.updated).toEqual(['GH-1']);
		expect(ticket('GH-1')).toMatch(/^title: One, renamed$/m);
	});

	it('waits out a 403 rate limit until its reset header, and retries a 502 that then succeeds', async () => {
		gh.add({title: 'One', labels: ['proofloop']});
		gh.failures.push({
			status: 403,
			message: 'API rate limit exceeded for user ID 1.',
			headers: {'x-ratelimit-remaining': '0', 'x-ratelimit-reset': String(Math.floor(Date.now() / 1000) + 1)},
		});
		gh.failures.push({status: 502, message: 'Server Error'});
		const r = await syncPull(session());
		expect(r.created).toEqual(['GH-1']);
		expect(gh.requests.slice(0, 3).map(q => q.status)).toEqual([403, 502, 200]);
	});

	it('a rate limit that lifts late is RemoteUnavailableError with its reset time, and nothing is written', async () => {
		gh.add({title: 'One', labels: ['proofloop']});
		const reset = Math.floor(Date.now() / 1000) + 3600;
		gh.failures.push({
			status: 403,
			message: 'API rate limit exceeded for user ID 1.',
			headers: {'x-ratelimit-remaining': '0', 'x-ratelimit-reset': String(reset)},
		});
		const error = await syncPull(session()).catch((e: unknown) => e);
		expect(error).toBeInstanceOf(RemoteUnavailableError);
		expect(Math.abs((error as RemoteUnavailableError).retryAt - reset * 1000)).toBeLessThan(5000);
		expect(existsSync(path.join(root, dir, 'GH-1.md'))).toBe(false);
	});

	it('selects by milestone title, and by a search query', async () => {
		gh.milestones.push({number: 7, title: 'v2'});
		gh.add({title: 'In v2', milestone: 7});
		gh.add({title: 'Elsewhere'});
		gh.add({title: 'Parser bug', labels: ['bug']});
		const byMilestone = await syncPull(openSync(project({labels: undefined, milestone: 'v2'}), {GITHUB_TOKEN: TOKEN, PROOFLOOP_SYNC_PACE_MS: '5'}));
		expect(byMilestone.created).toEqual(['GH-1']);
		const byQuery = await syncPull(openSync(project({labels: undefined, query: 'label:bug parser'}), {GITHUB_TOKEN: TOKEN, PROOFLOOP_SYNC_PACE_MS: '5'}));
		expect(byQuery.created).toEqual(['GH-3']);
		expect(gh.requests.some(r => r.path.startsWith('/search/issues?') && r.path.includes('is%3Aopen'))).toBe(true);
	});

	it('pages through 250 issues', async () => {
		for (let i = 0; i < 250; i++) gh.add({title: `Issue ${i + 1}`, labels: ['proofloop']});
		const r = await syncPull(session());
		expect(r.created).toHaveLength(250);
		// The ETag cache keeps what a sync reads of each issue, not GitHub's whole answer (about 3 kB an issue).
		expect(statSync(path.join(root, '.proofloop/sync/github.json')).size).toBeLessThan(150_000);
		expect(gh.requests.filter(q => q.path.startsWith('/repos/acme/app/issues?')).map(q => new URL(q.path, gh.url).searchParams.get('page'))).toEqual([
			'1',
			'2',
			'3',
		]);
	});

	it('refuses a dependency cycle from the remote, naming the issues, and writes nothing', async () => {
		gh.add({title: 'A', labels: ['proofloop'], blockedBy: [2]});
		gh.add({title: 'B', labels: ['proofloop'], blockedBy: [3]});
		gh.add({title: 'C', labels: ['proofloop'], blockedBy: [1]});
		const error = await syncPull(session()).catch((e: unknown) => e);
		expect(error).toBeInstanceOf(SyncInputError);
		expect((error as Error).message).toContain('#1 -> #2 -> #3 -> #1');
		expect(existsSync(path.join(root, '.proofloop/sync/github.json'))).toBe(false);
		expect(existsSync(path.join(root, dir, 'GH-1.md'))).toBe(false);
	});

	it('a batch label puts the ticket in that batch', async () => {
		gh.add({title: 'Sprint work', labels: ['proofloop', 'sprint-3']});
		await syncPull(session({batchLabels: {'sprint-3': 's3'}}));
		expect(ticket('GH-1')).toMatch(/^batch: s3$/m);
	});

	it('takes the token from `gh auth token` when GITHUB_TOKEN is unset', async () => {
		const bin = path.join(root, 'bin');
		mkdirSync(bin);
		writeFileSync(path.join(bin, 'gh'), `#!/bin/sh\n[ "$1 $2" = "auth token" ] && echo ${TOKEN}-from-gh\n`, {mode: 0o755});
		gh.add({title: 'One', labels: ['proofloop']});
		await syncPull(openSync(project(), {PATH: `${bin}:/usr/bin:/bin`, PROOFLOOP_SYNC_PACE_MS: '5'}));
		expect(gh.requests.every(r => r.auth === `token ${TOKEN}-from-gh`)).toBe(true);
		expect(() => openSync(project(), {PATH: '/nonexistent'})).toThrow(/no GitHub token[\s\S]*fix: export GITHUB_TOKEN/);
	});

	it('refuses an agentEnv that would hand agents the token', () => {
		expect(() => openSync({...project(), agentEnv: {pass: ['GITHUB_'], set: {}}}, {GITHUB_TOKEN: TOKEN})).toThrow(/agentEnv would hand agents GITHUB_TOKEN/);
	});
});

describe('sync push', () => {
	async function pulledPair() {
		gh.add({title: 'One', labels: ['proofloop']});
		gh.add({title: 'Two', labels: ['proofloop'], blockedBy: [1]});
		await syncPull(session());
	}

	it('done: one evidence comment and closed as completed; failed: a comment and open; a second push writes nothing', async () => {
		await pulledPair();
		const sha = 'a'.repeat(40);
		edit('GH-1', {status: 'done', merge_commit: sha, verify_digest: 'sha256:feed', done_at: '2026-01-01T00:00:00Z'});
		recordMerges(root, [{ticket: 'GH-1', merge: sha}]);
		edit('GH-2', {status: 'failed', failure: 'checks: npm test failed (exit 1)', attempts: 3});
		const r = await syncPush(session());
		expect(r.delivered.map(a => `${a.ticket}:${a.kind}`).sort()).toEqual(['GH-1:done', 'GH-2:failed']);
		const one = gh.issues.get(1)!;
		expect(one.comments).toHaveLength(1);
		expect(one.comments[0]!.body).toContain(sha);
		expect(one.comments[0]!.body).toContain('sha256:feed');
		expect(one).toMatchObject({state: 'closed', state_reason: 'completed'});
		const two = gh.issues.get(2)!;
		expect(two.comments[0]!.body).toContain('npm test failed');
		expect(two.state).toBe('open');
		const writes = gh.writes.length;
		const again = await syncPush(session());
		expect(again.delivered).toEqual([]);
		expect(gh.writes.length).toBe(writes);
		expect(one.comments).toHaveLength(1);
	});

	it('a done whose merge the merge queue never recorded (a ticket file forged to done) closes nothing and is named', async () => {
		await pulledPair();
		recordMerges(root, [{ticket: 'GH-2', merge: 'f'.repeat(40)}]);
		edit('GH-1', {status: 'done', merge_commit: 'e'.repeat(40), verify_digest: 'sha256:forged'});
		const r = await syncPush(session());
		expect(r.delivered).toEqual([]);
		expect(r.unproven).toEqual([`GH-1: done with merge eeeeeee, which is not in the merge queue's record: not pushed`]);
		expect(gh.issues.get(1)).toMatchObject({state: 'open', comments: []});
	});

	it('blocked: a comment with the wall, what was tried and the evidence; the issue stays open', async () => {
		await pulledPair();
		edit('GH-2', {
			status: 'blocked',
			block: {wall: 'no staging database', tried: 'the local one', evidence: 'connection refused', at: '2026-01-01T00:00:00Z'},
			attempts: 1,
		});
		await syncPush(session());
		const two = gh.issues.get(2)!;
		expect(two.state).toBe('open');
		expect(two.comments).toHaveLength(1);
		expect(two.comments[0]!.body).toMatch(/\*\*blocked\*\*[\s\S]*wall: no staging database[\s\S]*tried: the local one[\s\S]*evidence: connection refused/);
	});

	it('human-gated: a label and a comment with who and why', async () => {
		await pulledPair();
		edit('GH-2', {status: 'human_gated', gate: {by: 'alice', at: '2026-01-01T00:00:00Z', reason: 'needs a prod key'}});
		await syncPush(session());
		const two = gh.issues.get(2)!;
		expect(two.labels).toContain('proofloop:human-gated');
		expect(two.comments[0]!.body).toMatch(/alice[\s\S]*needs a prod key/);
	});

	it('a ticket a worker filed becomes a new issue, blocked-by linked both ways, and the next pull maps it', async () => {
		await pulledPair();
		writeFileSync(
			path.join(root, dir, 'T-9.md'),
			'---\nid: T-9\ntitle: Found missing work\nstatus: todo\nbatch: b1\ndeps: [GH-1]\ndiscovered_from: GH-2\nfiled_by_run: r1\n---\nWhat was missing.\n',
		);
		edit('GH-2', {deps: ['GH-1', 'T-9']});
		// The new issue is on disk before the next request: a push cut short there never files it twice.
		const savedBeforeLink: boolean[] = [];
		gh.onRequest = request => {
			if (request.endsWith('/dependencies/blocked_by') && request.startsWith('POST'))
				savedBeforeLink.push(readFileSync(path.join(root, '.proofloop/sync/github.json'), 'utf8').includes('"T-9": "github#'));
		};
		const r = await syncPush(session());
		expect(savedBeforeLink).toEqual([true, true]);
		expect(r.delivered.map(a => a.kind)).toEqual(['file']);
		const made = [...gh.issues.values()].find(i => i.title === 'Found missing work')!;
		expect(made.labels).toEqual(['proofloop']);
		expect(made.blockedBy).toEqual([1]);
		expect(gh.issues.get(2)!.blockedBy).toContain(made.number);
		const pulled = await syncPull(session());
		expect(pulled.created).toEqual([]);
		expect(ticket('T-9')).toMatch(new RegExp(`^source: github#${made.number}$`, 'm'));
		expect(ticket('GH-2')).toMatch(/^deps: \[GH-1, T-9\]$/m);
	});

	it('a push the remote does not take is queued in the run directory and goes out on the next push', async () => {
		await pulledPair();
		edit('GH-1', {status: 'done', merge_commit: 'b'.repeat(40), verify_digest: 'sha256:beef'});
		recordMerges(root, [{ticket: 'GH-1', merge: 'b'.repeat(40)}]);
		const runDir = path.join(root, '.proofloop/runs/r1');
		mkdirSync(runDir, {recursive: true});
		for (let i = 0; i < 8; i++) gh.failures.push({status: 502, message: 'Server Error'});
		const r = await syncPush(session(), {queueIn: runDir});
		expect(r.unavailable?.message).toMatch(/unreachable/);
		expect(JSON.parse(readFileSync(queueFile(runDir), 'utf8')).pending[0].action).toMatchObject({kind: 'done', ticket: 'GH-1'});
		expect(gh.issues.get(1)!.comments).toEqual([]);
		gh.failures.length = 0;
		// The ticket moves on meanwhile (a retry): the queued result still goes out.
		edit('GH-1', {status: 'todo', merge_commit: undefined, verify_digest: undefined});
		const next = await syncPush(session());
		expect(next.delivered.map(a => a.kind)).toEqual(['done']);
		expect(gh.issues.get(1)!.comments).toHaveLength(1);
		expect(existsSync(queueFile(runDir))).toBe(false);
	});
});

describe('an issue deleted remotely mid-run', () => {
	it('its push is said once and never retried; the others land; check names it gone', async () => {
		gh.add({title: 'One', labels: ['proofloop']});
		gh.add({title: 'Two', labels: ['proofloop']});
		await syncPull(session());
		edit('GH-1', {status: 'done', merge_commit: 'c'.repeat(40), verify_digest: 'sha256:1'});
		edit('GH-2', {status: 'done', merge_commit: 'd'.repeat(40), verify_digest: 'sha256:2'});
		recordMerges(root, [
			{ticket: 'GH-1', merge: 'c'.repeat(40)},
			{ticket: 'GH-2', merge: 'd'.repeat(40)},
		]);
		gh.edit(2, {deleted: true});
		const r = await syncPush(session());
		expect(r.delivered.map(a => a.ticket)).toEqual(['GH-1']);
		expect(r.gone.map(g => [g.action.ticket, g.error])).toEqual([['GH-2', 'github#2 is deleted on GitHub (410)']]);
		expect(r.failed).toEqual([]);
		expect(gh.issues.get(1)!.state).toBe('closed');
		const before = gh.requests.length;
		const again = await syncPush(session());
		expect(again).toMatchObject({delivered: [], failed: [], gone: []});
		expect(gh.requests.length).toBe(before);
		expect((await syncCheck(session())).map(d => [d.ticket, d.remote])).toEqual([['GH-2', 'gone']]);
	});
});

describe('the scripted server', () => {
	it("sends only what GitHub's description allows: an invented or missing field fails", async () => {
		gh.add({title: 'One'});
		const real = (await (await fetch(`${gh.url}/repos/acme/app/issues/1`)).json()) as Record<string, unknown>;
		const route = '/repos/{owner}/{repo}/issues/{issue_number}';
		expect(() => assertGitHubShape('GET', route, 200, real)).not.toThrow();
		const {user: _user, ...noUser} = real;
		expect(() => assertGitHubShape('GET', route, 200, noUser)).toThrow(/not GitHub's shape/);
		expect(() => assertGitHubShape('GET', route, 200, {...real, state: 7})).toThrow(/not GitHub's shape/);
		expect(() => assertGitHubShape('GET', route, 200, {...real, issue_dependencies_summary: {blocked: [2]}})).toThrow(/not GitHub's shape/);
		expect(() => assertGitHubShape('GET', route, 418, real)).toThrow(/never answers 418/);
		expect(() => assertGitHubShape('GET', '/repos/{owner}/{repo}/issues/{issue_number}/blockers', 200, [])).toThrow(/lacks/);
	});
});

describe('sync check', () => {
	it('names an issue closed by hand whose ticket is not done, and one deleted', async () => {
		gh.add({title: 'One', labels: ['proofloop']});
		gh.add({title: 'Two', labels: ['proofloop']});
		await syncPull(session());
		gh.edit(1, {state: 'closed', state_reason: 'completed'});
		gh.edit(2, {deleted: true});
		const found = await syncCheck(session());
		expect(found.map(d => [d.ticket, d.remote])).toEqual([
			['GH-1', 'closed'],
			['GH-2', 'gone'],
		]);
		expect(found[0]!.message).toMatch(/closed on the remote, but ticket GH-1 is todo/);
	});
});
