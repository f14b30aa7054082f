import {existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import path from 'node:path';
import {afterEach, beforeEach, describe, expect, it} from 'vitest';
import {openSync, syncCheck, syncPull, syncPush, type SyncProject} from '../../../source/tracker/sync/session.js';
import {RemoteUnavailableError, SyncInputError} from '../../../source/tracker/sync/source.js';
import {SyncConfig} from '../../../source/tracker/sync/config.js';
import {ScriptedLinear} from '../../helpers/linear-server.js';
import {setFrontMatterFields} from '../../../source/tracker/front-matter-write.js';
import {recordMerges} from '../../helpers/merge-ledger.js';

// The Linear sync's pull against a scripted Linear GraphQL server, driven by the
// real @linear/sdk client pointed at it (apiUrl).

const KEY = 'lin_api_sync_test_key_never_for_agents';
let linear: ScriptedLinear;
let root: string;
const dir = '.proofloop/tickets';
const PACE = 5;

function project(extra: Record<string, unknown> = {}, agentEnv = {pass: [] as string[], set: {}}): SyncProject {
	const sync = SyncConfig.parse({type: 'linear', team: 'ENG', apiUrl: linear.url, lockLabels: {'needs-infra': 'infra'}, ...extra});
	return {root, sync, batch: 'b1', trackerDir: dir, agentEnv, version: 'test'};
}
const session = (extra?: Record<string, unknown>) => openSync(project(extra), {LINEAR_API_KEY: KEY, PROOFLOOP_SYNC_PACE_MS: String(PACE)});
const ticket = (id: string) => readFileSync(path.join(root, dir, `${id}.md`), 'utf8');
const edit = (id: string, fields: Record<string, unknown>) => writeFileSync(path.join(root, dir, `${id}.md`), setFrontMatterFields(ticket(id), fields));
const has = (id: string) => existsSync(path.join(root, dir, `${id}.md`));

beforeEach(async () => {
	linear = await new ScriptedLinear().start();
	root = mkdtempSync(path.join(tmpdir(), 'pl-linear-'));
	mkdirSync(path.join(root, dir), {recursive: true});
});
afterEach(async () => {
	await linear.stop();
	expect(linear.defects).toEqual([]);
	rmSync(root, {recursive: true, force: true});
});

describe('sync pull from Linear', () => {
	it('maps title, description, "blocks" and "blocked by" to deps, a lock label; skips completed and canceled; a second pull writes nothing', async () => {
		linear.add({title: 'Split words', description: 'Scope: split.\nDone when tested.', blocks: ['ENG-2']});
		linear.add({title: 'Count words', labels: ['needs-infra'], state: 'started'});
		linear.add({title: 'Report counts'});
		linear.add({title: 'Shipped', state: 'completed', blocks: ['ENG-3']});
		linear.add({title: 'Dropped', state: 'canceled'});
		linear.add({identifier: 'OPS-1', title: 'Another team'});
		// ENG-3 is blocked by ENG-2, said from ENG-3's side only ("blocked by").
		linear.issues.get('ENG-2')!.blocks.push('ENG-3');
		const first = await syncPull(session());
		expect(first.created.sort()).toEqual(['ENG-1', 'ENG-2', 'ENG-3']);
		expect(ticket('ENG-2')).toMatch(/^deps: \[ENG-1\]$/m);
		expect(ticket('ENG-3')).toMatch(/^deps: \[ENG-2\]$/m);
		expect(ticket('ENG-1')).toMatch(/^deps: \[\]$/m);
		expect(ticket('ENG-2')).toMatch(/^locks: \[infra\]$/m);
		expect(ticket('ENG-2')).toMatch(/^source: linear:ENG-2$/m);
		expect(ticket('ENG-1')).toMatch(/^title: Split words$/m);
		expect(ticket('ENG-1')).toContain('---\nScope: split.\nDone when tested.\n');
		expect(ticket('ENG-1')).toMatch(/^status: todo$/m);
		for (const id of ['ENG-4', 'ENG-5', 'OPS-1']) expect(has(id)).toBe(false);
		expect(linear.requests.every(r => r.auth === KEY)).toBe(true);

		const files = ['ENG-1', 'ENG-2', 'ENG-3'].map(id => path.join(root, dir, `${id}.md`));
		const mtimes = files.map(f => statSync(f).mtimeMs);
		const second = await syncPull(session());
		expect(second).toMatchObject({created: [], updated: [], stateWritten: false});
		expect(files.map(f => statSync(f).mtimeMs)).toEqual(mtimes);
	});

	it('selects by project, label and cycle', async () => {
		linear.add({title: 'In it', project: 'Words', labels: ['proofloop'], cycle: 3});
		linear.add({title: 'Other project', project: 'Other', labels: ['proofloop'], cycle: 3});
		linear.add({title: 'No label', project: 'Words', cycle: 3});
		linear.add({title: 'Other cycle', project: 'Words', labels: ['proofloop'], cycle: 4});
		const r = await syncPull(session({project: 'Words', labels: ['proofloop'], cycle: 3}));
		expect(r.created).toEqual(['ENG-1']);
	});

	it('pulls an open blocker the selection leaves out (and its own, from another team), not a completed one', async () => {
		linear.add({title: 'Selected', labels: ['proofloop']});
		linear.add({title: 'Its blocker', blocks: ['ENG-1']});
		linear.add({title: 'Done blocker', state: 'completed', blocks: ['ENG-1']});
		linear.add({identifier: 'OPS-1', title: 'Blocker of the blocker', blocks: ['ENG-2']});
		const r = await syncPull(session({labels: ['proofloop']}));
		expect(r.created.sort()).toEqual(['ENG-1', 'ENG-2', 'OPS-1']);
		expect(ticket('ENG-1')).toMatch(/^deps: \[ENG-2\]$/m);
		expect(ticket('ENG-2')).toMatch(/^deps: \[OPS-1\]$/m);
		expect(r.warnings).toEqual([
			'pulled ENG-2 too: ENG-1 is blocked by it and the selection leaves it out',
			'pulled OPS-1 too: ENG-2 is blocked by it and the selection leaves it out',
		]);
	});

	it('pages through 250 issues, never asking sooner than the configured interval', async () => {
		for (let i = 0; i < 250; i++) linear.add({title: `Issue ${i + 1}`});
		const r = await syncPull(session({minRequestInterval: 20}));
		expect(r.created).toHaveLength(250);
		expect(linear.requests).toHaveLength(3);
		const gaps = linear.requests.slice(1).map((req, i) => req.at - linear.requests[i]!.at);
		// Arrival times jitter on a loaded machine (89 ms seen for 100); unpaced requests come a few ms apart.
		for (const gap of gaps) expect(gap).toBeGreaterThanOrEqual(20 * PACE * 0.75);
	});

	it("backs off on Linear's rate-limit answer (400 RATELIMITED) until its reset, then retries", async () => {
		linear.add({title: 'One'});
		const resetIn = 4; // seconds, scaled by the pace to 20 ms
		linear.limits.push({status: 400, headers: {'x-ratelimit-requests-reset': String(Date.now() + resetIn * 1000), 'x-ratelimit-requests-remaining': '0'}});
		const r = await syncPull(session());
		expect(r.created).toEqual(['ENG-1']);
		expect(linear.requests.map(q => q.status)).toEqual([400, 200]);
		expect(linear.requests[1]!.at - linear.requests[0]!.at).toBeGreaterThanOrEqual((resetIn - 1) * PACE);
	});

	it('a 429 whose retry-after is far off is RemoteUnavailableError with that time, and nothing is written', async () => {
		linear.add({title: 'One'});
		linear.limits.push({status: 429, headers: {'retry-after': '3600'}});
		const before = Date.now();
		const error = await syncPull(session()).catch((e: unknown) => e);
		expect(error).toBeInstanceOf(RemoteUnavailableError);
		expect((error as RemoteUnavailableError).retryAt).toBeGreaterThanOrEqual(before + 3600_000);
		expect((error as Error).message).toMatch(/Linear rate limit/);
		expect(linear.requests).toHaveLength(1);
		expect(has('ENG-1')).toBe(false);
		expect(existsSync(path.join(root, '.proofloop/sync/linear.json'))).toBe(false);
	});

	it('retries a 502 that then succeeds; a Linear that cannot be reached is RemoteUnavailableError, nothing written', async () => {
		linear.add({title: 'One'});
		linear.limits.push({status: 502});
		const r = await syncPull(session());
		expect(r.created).toEqual(['ENG-1']);
		expect(linear.requests.map(q => q.status)).toEqual([502, 200]);
		rmSync(path.join(root, dir, 'ENG-1.md'));
		await linear.stop();
		const error = await syncPull(session()).catch((e: unknown) => e);
		expect(error).toBeInstanceOf(RemoteUnavailableError);
		expect((error as Error).message).toMatch(/Linear unreachable while pulling issues/);
		expect(has('ENG-1')).toBe(false);
		await linear.start();
	});

	it('refuses a dependency cycle from Linear, naming the issues', async () => {
		linear.add({title: 'A', blocks: ['ENG-2']});
		linear.add({title: 'B', blocks: ['ENG-1']});
		await expect(syncPull(session())).rejects.toThrow(/cycle: ENG-\d -> ENG-\d/);
		expect(has('ENG-1')).toBe(false);
	});

	it('sync check names an issue completed by hand whose ticket is not done, and one deleted', async () => {
		linear.add({title: 'One'});
		linear.add({title: 'Two'});
		linear.add({title: 'Three'});
		await syncPull(session());
		linear.issues.get('ENG-1')!.state = 'completed';
		linear.issues.get('ENG-2')!.deleted = true;
		const found = await syncCheck(session());
		expect(found.map(d => [d.ticket, d.remote])).toEqual([
			['ENG-1', 'closed'],
			['ENG-2', 'gone'],
		]);
		expect(found[0]!.message).toMatch(/linear:ENG-1 is closed on the remote, but ticket ENG-1 is todo/);
	});

	it('wants LINEAR_API_KEY, and refuses an agentEnv that would hand agents the key', () => {
		expect(() => openSync(project(), {})).toThrow(SyncInputError);
		expect(() => openSync(project(), {})).toThrow(/LINEAR_API_KEY/);
		expect(() => openSync(project({}, {pass: ['LINEAR_*'], set: {}}), {LINEAR_API_KEY: KEY})).toThrow(/LINEAR_API_KEY/);
	});
});

describe('sync push to Linear', () => {
	it('done: one evidence comment and a completed state; failed: a comment, state kept; a second push writes nothing', async () => {
		linear.add({title: 'One', state: 'started'});
		linear.add({title: 'Two'});
		await syncPull(session());
		const sha = 'a'.repeat(40);
		edit('ENG-1', {status: 'done', merge_commit: sha, verify_digest: 'sha256:feed', done_at: '2026-01-01T00:00:00Z'});
		recordMerges(root, [{ticket: 'ENG-1', merge: sha}]);
		edit('ENG-2', {status: 'failed', failure: 'checks: npm test failed (exit 1)', attempts: 3});
		const r = await syncPush(session());
		expect(r.delivered.map(a => `${a.ticket}:${a.kind}`).sort()).toEqual(['ENG-1:done', 'ENG-2:failed']);
		const one = linear.issues.get('ENG-1')!;
		expect(one.comments).toHaveLength(1);
		expect(one.comments[0]!.body).toContain(sha);
		expect(one.comments[0]!.body).toContain('sha256:feed');
		expect(one.state).toBe('completed');
		const two = linear.issues.get('ENG-2')!;
		expect(two.comments[0]!.body).toContain('npm test failed');
		expect(two.state).toBe('unstarted');
		expect(linear.writes.sort()).toEqual(['commentCreate ENG-1', 'commentCreate ENG-2', 'issueUpdate ENG-1 st-done']);
		const again = await syncPush(session());
		expect(again.delivered).toEqual([]);
		expect(linear.writes).toHaveLength(3);
	});

	it('a push whose record was lost does not comment twice (the marker), and doneState names the state', async () => {
		linear.add({title: 'One'});
		await syncPull(session());
		edit('ENG-1', {status: 'done', merge_commit: 'b'.repeat(40), verify_digest: 'sha256:1'});
		recordMerges(root, [{ticket: 'ENG-1', merge: 'b'.repeat(40)}]);
		await syncPush(session({doneState: 'Shipped'}));
		expect(linear.issues.get('ENG-1')!.state).toBe('completed');
		expect(linear.writes).toEqual(['commentCreate ENG-1', 'issueUpdate ENG-1 st-shipped']);
		rmSync(path.join(root, '.proofloop/sync/linear.json'));
		linear.issues.get('ENG-1')!.state = 'started';
		const r = await syncPush(session({doneState: 'Shipped'}));
		expect(r.delivered.map(a => a.kind)).toEqual(['done']);
		expect(linear.issues.get('ENG-1')!.comments).toHaveLength(1);
		expect(linear.writes).toEqual(['commentCreate ENG-1', 'issueUpdate ENG-1 st-shipped', 'issueUpdate ENG-1 st-shipped']);
	});

	it('an issue deleted on Linear is said once, never retried; human-gated: the label (made when missing) and a comment with who and why', async () => {
		linear.add({title: 'One'});
		linear.add({title: 'Two'});
		await syncPull(session());
		edit('ENG-1', {status: 'done', merge_commit: 'c'.repeat(40), verify_digest: 'sha256:1'});
		recordMerges(root, [{ticket: 'ENG-1', merge: 'c'.repeat(40)}]);
		edit('ENG-2', {status: 'human_gated', gate: {by: 'ana', reason: 'needs a prod key', at: '2026-01-01T00:00:00Z'}});
		linear.issues.get('ENG-1')!.deleted = true;
		const r = await syncPush(session());
		expect(r.gone.map(g => [g.action.ticket, g.error])).toEqual([['ENG-1', 'linear:ENG-1 is not found on Linear (deleted or archived)']]);
		expect(r.delivered.map(a => `${a.ticket}:${a.kind}`)).toEqual(['ENG-2:gated']);
		const two = linear.issues.get('ENG-2')!;
		expect(two.labels).toEqual(['proofloop:human-gated']);
		expect(two.comments[0]!.body).toMatch(/ana[\s\S]*needs a prod key/);
		expect(linear.writes).toEqual(['issueLabelCreate proofloop:human-gated', 'issueAddLabel ENG-2 proofloop:human-gated', 'commentCreate ENG-2']);
		const again = await syncPush(session());
		expect(again).toMatchObject({delivered: [], failed: [], gone: []});
		expect(linear.writes).toHaveLength(3);
	});

	it('a ticket a worker filed becomes a new issue in the selection, with "blocks" relations both ways; the next pull maps it', async () => {
		const selection = {labels: ['proofloop'], project: 'Words', cycle: 3};
		linear.add({title: 'One', labels: ['proofloop'], project: 'Words', cycle: 3});
		linear.add({title: 'Two', labels: ['proofloop'], project: 'Words', cycle: 3});
		await syncPull(session(selection));
		writeFileSync(
			path.join(root, dir, 'T-9.md'),
			'---\nid: T-9\ntitle: Found missing work\nstatus: todo\nbatch: b1\ndeps: [ENG-1]\ndiscovered_from: ENG-2\nfiled_by_run: r1\n---\nWhat was missing.\n',
		);
		edit('ENG-2', {deps: ['T-9']});
		const r = await syncPush(session(selection));
		expect(r.delivered.map(a => a.kind)).toEqual(['file']);
		const made = [...linear.issues.values()].find(i => i.title === 'Found missing work')!;
		expect(made.identifier).toBe('ENG-3');
		expect(made.description).toContain('What was missing.');
		expect(made).toMatchObject({labels: ['proofloop'], project: 'Words', cycle: 3});
		expect(linear.writes).toEqual(['issueCreate ENG-3', 'issueRelationCreate ENG-1 blocks ENG-3', 'issueRelationCreate ENG-3 blocks ENG-2']);
		expect(JSON.parse(readFileSync(path.join(root, '.proofloop/sync/linear.json'), 'utf8')).created).toEqual({'T-9': 'linear:ENG-3'});
		const pulled = await syncPull(session(selection));
		expect(pulled.created).toEqual([]);
		expect(ticket('T-9')).toMatch(/^source: linear:ENG-3$/m);
		expect(ticket('T-9')).toMatch(/^deps: \[ENG-1\]$/m);
		expect(ticket('ENG-2')).toMatch(/^deps: \[T-9\]$/m);
		const again = await syncPush(session(selection));
		expect(again.delivered).toEqual([]);
		expect(linear.writes).toHaveLength(3);
	});
});
