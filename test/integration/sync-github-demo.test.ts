import {mkdtempSync, readFileSync, writeFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import path from 'node:path';
import {execa} from 'execa';
import {afterEach, beforeEach, describe, expect, it} from 'vitest';
import {probeBwrap} from '../../source/agents/sandbox.js';
import {buildDemoRepo} from '../../source/demo/build.js';
import {setFrontMatterFields} from '../../source/tracker/front-matter-write.js';
import {readTicketFiles} from '../../source/tracker/sync/ticket-files.js';
import {ScriptedGitHub} from '../helpers/github-server.js';
import {runCli} from '../helpers/repo.js';

// The acceptance of issue 16 for GitHub: the demo batch as issues with their
// blocked-by links, through `sync pull` + `run`, ends with every issue closed
// with exactly one evidence comment, and the ticket a worker files mid-run a
// new issue blocking the one it was filed for.

const TOKEN = 'ghp_demo_sync_token_never_for_agents';
let gh: ScriptedGitHub;

beforeEach(async () => {
	gh = await new ScriptedGitHub().start();
});
afterEach(async () => {
	await gh.stop();
	expect(gh.defects).toEqual([]);
});

describe('the demo batch through GitHub Issues', () => {
	it('sync pull + run: oracle 0, every issue closed with one evidence comment, the filed ticket a new issue blocking its parent', async () => {
		const root = await buildDemoRepo(path.join(mkdtempSync(path.join(tmpdir(), 'pl-sync-demo-')), 'repo'));
		const dir = '.proofloop/tickets';
		// Each demo ticket is issue #N (T-N), blocked by its deps; the ticket files already map to them (their demo recipes are the demo agent's, not GitHub's).
		for (const f of readTicketFiles(root, dir)) {
			const t = f.ticket!;
			const n = Number(t.id.slice('T-'.length));
			gh.add({number: n, title: t.title, body: t.body, labels: ['proofloop'], blockedBy: t.deps.map(d => Number(d.slice('T-'.length)))});
			writeFileSync(path.join(root, f.file), setFrontMatterFields(f.text, {source: `github#${n}`}));
		}
		const configFile = path.join(root, '.proofloop/config.json');
		const config = JSON.parse(readFileSync(configFile, 'utf8')) as Record<string, unknown>;
		config['sync'] = {type: 'github', repo: gh.repo, labels: ['proofloop'], apiUrl: gh.url, idPrefix: 'T-'};
		if (!probeBwrap().ok) config['sandbox'] = 'none';
		writeFileSync(configFile, JSON.stringify(config, null, 2) + '\n');
		await execa('git', ['commit', '-qam', 'sync with GitHub'], {cwd: root});
		const env = {GITHUB_TOKEN: TOKEN, PROOFLOOP_SYNC_PACE_MS: '5'};

		const pulled = await runCli(root, ['sync', 'pull'], env);
		expect(pulled.exitCode, pulled.stderr).toBe(0);
		expect(pulled.stdout).toMatch(/0 new/);
		const run = await runCli(root, ['run', '--headless'], env);
		expect(run.exitCode, `${run.stdout}\n${run.stderr}`).toBe(0);
		expect((await runCli(root, ['oracle'])).exitCode).toBe(0);

		expect(gh.issues.size).toBe(10);
		const filed = gh.issues.get(10)!;
		expect(filed.body).toMatch(/Filed by a proofloop worker during run `[^`]+` as ticket T-10/);
		expect(gh.issues.get(9)!.blockedBy).toContain(10);
		for (const issue of gh.issues.values()) {
			expect(issue, `#${issue.number}`).toMatchObject({state: 'closed', state_reason: 'completed'});
			expect(
				issue.comments.map(c => c.body.split('\n')[0]),
				`#${issue.number}`,
			).toEqual([expect.stringMatching(/^proofloop: \*\*done\*\*/)]);
		}
		const check = await runCli(root, ['sync', 'check'], env);
		expect(check.exitCode, check.stdout).toBe(0);
	}, 400_000);
});
