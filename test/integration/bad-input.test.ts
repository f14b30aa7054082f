import {existsSync, readFileSync, writeFileSync} from 'node:fs';
import path from 'node:path';
import {describe, expect, it} from 'vitest';
import {execa} from 'execa';
import {makeRepo, runCli} from '../helpers/repo.js';

async function expectRefused(root: string, pattern: RegExp): Promise<void> {
	const before = (await execa('git', ['status', '--porcelain', '--ignored'], {cwd: root})).stdout;
	const result = await runCli(root, ['run', '--headless']);
	expect(result.exitCode).toBe(2);
	expect(result.stderr).toMatch(pattern);
	// Nothing written: no run directory, no worktree, no change to the checkout.
	expect(existsSync(path.join(root, '.proofloop/runs'))).toBe(false);
	expect((await execa('git', ['status', '--porcelain', '--ignored'], {cwd: root})).stdout).toBe(before);
}

describe('bad input is refused with the file and the fix, and nothing is written', () => {
	it('a malformed ticket', async () => {
		const {root} = makeRepo({tickets: [{id: 'A'}]});
		writeFileSync(path.join(root, '.proofloop/tickets/B.md'), '---\nid: B\ntitle: [unclosed\nstatus: todo\n---\n');
		await expectRefused(root, /\.proofloop\/tickets\/B\.md:3/);
	});

	it('an unknown dependency and a cycle', async () => {
		const unknown = makeRepo({tickets: [{id: 'A', deps: ['NOPE']}]});
		await expectRefused(unknown.root, /A\.md:\d+.*NOPE/s);
		const cycle = makeRepo({
			tickets: [
				{id: 'A', deps: ['B']},
				{id: 'B', deps: ['A']},
			],
		});
		await expectRefused(cycle.root, /dependency cycle: A -> B -> A/);
	});

	it('a bad config and an unknown agent', async () => {
		const bad = makeRepo({tickets: [{id: 'A'}], config: {concurrency: 'lots'}});
		await expectRefused(bad.root, /config\.json.*concurrency/s);
		const agent = makeRepo({tickets: [{id: 'A'}], config: {agent: {type: 'gpt-9'}}});
		await expectRefused(agent.root, /agent/);
	});

	it('an executor that names no Redis or no remote', async () => {
		const http = makeRepo({tickets: [{id: 'A'}], config: {executor: {kind: 'queue', url: 'http://redis:6379', remote: '/srv/repo.git'}}});
		await expectRefused(http.root, /\.proofloop\/config\.json: invalid config\n\s+executor\.url: expected a Redis URL/);
		const noRemote = makeRepo({tickets: [{id: 'A'}], config: {executor: {kind: 'queue', url: 'redis://127.0.0.1:6379/0'}}});
		await expectRefused(noRemote.root, /\.proofloop\/config\.json: invalid config\n\s+executor\.remote/);
		const kind = makeRepo({tickets: [{id: 'A'}], config: {executor: {kind: 'ssh'}}});
		await expectRefused(kind.root, /\.proofloop\/config\.json: invalid config\n\s+executor\.kind/);
	});

	it('an empty batch and a base branch that does not exist', async () => {
		const empty = makeRepo({tickets: [{id: 'A', batch: 'other'}]});
		await expectRefused(empty.root, /batch 'b' is empty.*fix: .*other/s);
		const base = makeRepo({tickets: [{id: 'A'}], config: {base: 'trunk'}});
		await expectRefused(base.root, /base branch 'trunk' does not exist/);
	});

	it('a ticket whose finish line could never fail', async () => {
		const {root} = makeRepo({tickets: [{id: 'A'}], config: {checks: [], verify: []}});
		await expectRefused(root, /A\.md: has no checks and no verify/);
		// A check or verify that cannot fail is no finish line either: named where it is written.
		const noop = makeRepo({tickets: [{id: 'A'}], config: {checks: ['npm test || true'], verify: ['true']}});
		await expectRefused(noop.root, /config\.json: the checks command `npm test \|\| true` cannot fail.*config\.json: the verify command `true` cannot fail/s);
	});

	it('init refuses to overwrite an existing config', async () => {
		const {root} = makeRepo({tickets: [{id: 'A'}]});
		const config = readFileSync(path.join(root, '.proofloop/config.json'), 'utf8');
		const result = await runCli(root, ['init']);
		expect(result.exitCode).toBe(2);
		expect(result.stderr).toMatch(/refusing to overwrite \.proofloop\/config\.json/);
		expect(readFileSync(path.join(root, '.proofloop/config.json'), 'utf8')).toBe(config);
	});
});

describe('init', () => {
	it('scaffolds a config, a sample ticket and the .gitignore lines that a run accepts', async () => {
		const root = (await execa('mktemp', ['-d'])).stdout;
		await execa('git', ['init', '-q', '-b', 'main'], {cwd: root});
		const result = await runCli(root, ['init', '--batch', 'first']);
		expect(result.exitCode).toBe(0);
		expect(JSON.parse(readFileSync(path.join(root, '.proofloop/config.json'), 'utf8'))).toMatchObject({batch: 'first', base: 'main'});
		expect(readFileSync(path.join(root, '.gitignore'), 'utf8')).toMatch(/\.proofloop\/runs\//);
		expect(readFileSync(path.join(root, '.proofloop/tickets/T-1.md'), 'utf8')).toMatch(/batch: first/);
		// Not installed in this project: the published schema of this very version, which the package ships.
		const schemaRef = JSON.parse(readFileSync(path.join(root, '.proofloop/config.json'), 'utf8')).$schema;
		const {version} = JSON.parse(readFileSync('package.json', 'utf8'));
		expect(schemaRef).toBe(`https://unpkg.com/proofloop@${version}/schema/config.schema.json`);
		expect(existsSync('schema/config.schema.json')).toBe(true);
	});
});
