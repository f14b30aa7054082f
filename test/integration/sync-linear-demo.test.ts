import {mkdtempSync, readdirSync, readFileSync, writeFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import path from 'node:path';
import {execa} from 'execa';
import {afterEach, beforeEach, describe, expect, it} from 'vitest';
import {probeBwrap} from '../../source/agents/sandbox.js';
import {buildDemoRepo} from '../../source/demo/build.js';
import {setFrontMatterFields} from '../../source/tracker/front-matter-write.js';
import {readTicketFiles} from '../../source/tracker/sync/ticket-files.js';
import {ScriptedLinear} from '../helpers/linear-server.js';
import {runCli} from '../helpers/repo.js';

// The acceptance of issue 16 for Linear: the demo batch as issues of team T with
// their "blocks" relations, through `sync pull` + `run`, ends with every issue
// in a completed state with exactly one evidence comment, the ticket a worker
// files mid-run a new issue blocking its parent, and the key in no file.

const KEY = 'lin_api_demo_sync_key_never_for_agents_0123456789';
let linear: ScriptedLinear;

beforeEach(async () => {
	linear = await new ScriptedLinear('T').start();
});
afterEach(async () => {
	await linear.stop();
	expect(linear.defects).toEqual([]);
});

function filesHolding(dir: string, needle: string): string[] {
	return readdirSync(dir, {recursive: true, withFileTypes: true})
		.filter(e => e.isFile() && readFileSync(path.join(e.parentPath, e.name)).includes(needle))
		.map(e => path.join(e.parentPath, e.name));
}

describe('the demo batch through Linear', () => {
	it('sync pull + run: oracle 0, every issue completed with one evidence comment, the filed ticket a new issue blocking its parent', async () => {
		const root = await buildDemoRepo(path.join(mkdtempSync(path.join(tmpdir(), 'pl-linear-demo-')), 'repo'));
		const dir = '.proofloop/tickets';
		// Each demo ticket T-N is issue T-N; a dep d of T-N is "d blocks T-N".
		const tickets = readTicketFiles(root, dir);
		for (const f of tickets) linear.add({identifier: f.ticket!.id, title: f.ticket!.title, description: f.ticket!.body});
		for (const f of tickets) for (const dep of f.ticket!.deps) linear.issues.get(dep)!.blocks.push(f.ticket!.id);
		for (const f of tickets) writeFileSync(path.join(root, f.file), setFrontMatterFields(f.text, {source: `linear:${f.ticket!.id}`}));
		const configFile = path.join(root, '.proofloop/config.json');
		const config = JSON.parse(readFileSync(configFile, 'utf8')) as Record<string, unknown>;
		config['sync'] = {type: 'linear', team: 'T', apiUrl: linear.url, minRequestInterval: 1};
		if (!probeBwrap().ok) config['sandbox'] = 'none';
		writeFileSync(configFile, JSON.stringify(config, null, 2) + '\n');
		await execa('git', ['commit', '-qam', 'sync with Linear'], {cwd: root});
		const env = {LINEAR_API_KEY: KEY, PROOFLOOP_SYNC_PACE_MS: '5'};

		const pulled = await runCli(root, ['sync', 'pull'], env);
		expect(pulled.exitCode, pulled.stderr).toBe(0);
		expect(pulled.stdout).toMatch(/0 new/);
		const run = await runCli(root, ['run', '--headless'], env);
		expect(run.exitCode, `${run.stdout}\n${run.stderr}`).toBe(0);
		expect((await runCli(root, ['oracle'])).exitCode).toBe(0);

		expect(linear.issues.size).toBe(tickets.length + 1);
		const filed = linear.issues.get(`T-${tickets.length + 1}`)!;
		expect(filed.description).toMatch(/Filed by a proofloop worker during run `[^`]+` as ticket T-10/);
		expect(filed.blocks).toContain('T-9');
		for (const issue of linear.issues.values()) {
			expect(issue.state, issue.identifier).toBe('completed');
			expect(
				issue.comments.map(c => c.body.split('\n')[0]),
				issue.identifier,
			).toEqual([expect.stringMatching(/^proofloop: \*\*done\*\*/)]);
		}
		expect(linear.requests.every(r => r.auth === KEY)).toBe(true);
		expect(filesHolding(root, KEY)).toEqual([]);
		const check = await runCli(root, ['sync', 'check'], env);
		expect(check.exitCode, check.stdout).toBe(0);
	}, 400_000);
});
