import {existsSync, mkdtempSync, readFileSync, writeFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import path from 'node:path';
import {execaSync} from 'execa';
import {describe, expect, it} from 'vitest';
import {probeBwrap} from '../../source/agents/sandbox.js';
import {commitRepoFinishLine} from '../helpers/finish-line.js';
import {makeRepo, runCli, runEvents, trailerCount} from '../helpers/repo.js';

// Hostile agents that do no real work and try to get counted done anyway
// (test/fixtures/agents/redteam-agent.mjs). The finish line: `npm test` and
// `npm run smoke`, both passing only once feature.txt exists.

const AGENT = path.resolve('test/fixtures/agents/redteam-agent.mjs');
const sandboxed = probeBwrap().ok;
const mode = sandboxed ? 'auto' : 'none';

function finishLineRepo(config: Record<string, unknown> = {}) {
	const {root} = makeRepo({
		tickets: [{id: 'A'}],
		config: {
			sandbox: mode,
			attempts: 1,
			selfHeal: {max: 0},
			agent: {type: 'command', command: `node ${AGENT}`},
			checks: ['npm test'],
			verify: ['npm run smoke'],
			...config,
		},
	});
	commitRepoFinishLine(root);
	return root;
}

describe(`red team (${sandboxed ? 'sandboxed' : 'unsandboxed'})`, () => {
	it(
		"an agent that rewrites the object files of base's verify script and test under their old ids is refused by the guard, named (unsandboxed)",
		{timeout: 120_000},
		async () => {
			const root = finishLineRepo({sandbox: 'none'});
			const result = await runCli(root, ['run', '--headless'], {FAKE_REDTEAM: 'loose-blob'});
			expect(result.exitCode, result.stdout + result.stderr).not.toBe(0);
			const events = runEvents(root);
			// Its own checks passed (its edits are hidden from git with --skip-worktree), and the diff names only a junk file.
			expect(events.find(e => e.type === 'checks.result' && e.ticket === 'A')).toMatchObject({ok: true});
			const smokeId = execaSync('git', ['rev-parse', 'main:scripts/smoke.mjs'], {cwd: root}).stdout;
			expect(events.find(e => e.type === 'guard.result' && e.ticket === 'A')).toMatchObject({
				ok: false,
				files: ['work/A-1.txt'],
				reason: expect.stringContaining(`object store was rewritten`),
			});
			expect(JSON.stringify(events.find(e => e.type === 'guard.result'))).toContain(smokeId);
			expect(events.some(e => e.type === 'ticket.done')).toBe(false);
			expect(await trailerCount(root, 'A')).toBe(0);
		},
	);

	it(
		"an unsandboxed agent that shadows base's smoke script and test with a pack of its own under their ids is caught by the guard",
		{timeout: 120_000},
		async () => {
			const root = finishLineRepo({sandbox: 'none'});
			const result = await runCli(root, ['run', '--headless'], {FAKE_REDTEAM: 'pack-blob'});
			expect(result.exitCode, result.stdout + result.stderr).not.toBe(0);
			const events = runEvents(root);
			expect(events.find(e => e.type === 'checks.result' && e.ticket === 'A')).toMatchObject({ok: true});
			expect(events.find(e => e.type === 'guard.result' && e.ticket === 'A')).toMatchObject({
				ok: false,
				reason: expect.stringContaining('object store was rewritten'),
			});
			expect(events.some(e => e.type === 'ticket.done')).toBe(false);
			expect(await trailerCount(root, 'A')).toBe(0);
		},
	);

	it("an unsandboxed agent that replaces base's smoke script and test through refs/replace gets nothing counted", {timeout: 120_000}, async () => {
		const root = finishLineRepo({sandbox: 'none'});
		const result = await runCli(root, ['run', '--headless'], {FAKE_REDTEAM: 'replace-blob'});
		expect(result.exitCode, result.stdout + result.stderr).not.toBe(0);
		const events = runEvents(root);
		// The engine's git reads no replacement: its verify checkout holds base's real smoke script, which fails on junk.
		expect(events.find(e => e.type === 'verify.result' && e.ticket === 'A')).toMatchObject({ok: false});
		expect(events.some(e => e.type === 'ticket.done')).toBe(false);
	});

	it("an unsandboxed agent's commit-graph that gives base's tip its own tree does not hide its change from the guard", {timeout: 120_000}, async () => {
		const root = finishLineRepo({sandbox: 'none'});
		const result = await runCli(root, ['run', '--headless'], {FAKE_REDTEAM: 'commit-graph'});
		expect(result.exitCode, result.stdout + result.stderr).not.toBe(0);
		const events = runEvents(root);
		expect(events.some(e => e.type === 'ticket.done')).toBe(false);
		expect(execaSync('git', ['show', 'main:scripts/smoke.mjs'], {cwd: root}).stdout).not.toBe('process.exit(0)');
	});

	it("an unsandboxed agent's multi-pack-index that files other objects' offsets under base's ids gets nothing counted", {timeout: 120_000}, async () => {
		const root = finishLineRepo({sandbox: 'none'});
		const result = await runCli(root, ['run', '--headless'], {FAKE_REDTEAM: 'midx'});
		expect(result.exitCode, result.stdout + result.stderr).not.toBe(0);
		const events = runEvents(root);
		expect(events.some(e => e.type === 'ticket.done')).toBe(false);
	});

	it("boxed, the same agent cannot touch base's object files at all: the store is whole, and nothing of it is done", {timeout: 120_000}, async () => {
		const root = finishLineRepo();
		const objects = (file: string) => {
			const id = execaSync('git', ['rev-parse', `main:${file}`], {cwd: root}).stdout;
			return readFileSync(path.join(root, '.git/objects', id.slice(0, 2), id.slice(2)));
		};
		const before = ['scripts/smoke.mjs', 'test/feature.test.mjs'].map(objects);
		const result = await runCli(root, ['run', '--headless'], {FAKE_REDTEAM: 'loose-blob'});
		expect(result.exitCode, result.stdout + result.stderr).not.toBe(0);
		expect(['scripts/smoke.mjs', 'test/feature.test.mjs'].map(objects)).toEqual(before);
		expect(execaSync('git', ['fsck', '--no-dangling'], {cwd: root, reject: false}).exitCode).toBe(0);
		expect(runEvents(root).some(e => e.type === 'ticket.done')).toBe(false);
	});

	it('a check that detaches the checkout at a decoy commit does not get the real head past the guard (unsandboxed)', {timeout: 120_000}, async () => {
		const root = finishLineRepo({sandbox: 'none'});
		const result = await runCli(root, ['run', '--headless'], {FAKE_REDTEAM: 'detach-in-check'});
		expect(result.exitCode, result.stdout + result.stderr).not.toBe(0);
		const events = runEvents(root);
		expect(events.find(e => e.type === 'checks.result' && e.ticket === 'A')).toMatchObject({ok: true});
		// The checkout was moved to the decoy; the guard judged the commit the checks passed, which edits the config.
		const guard = events.find(e => e.type === 'guard.result' && e.ticket === 'A');
		expect(guard).toMatchObject({ok: false, reason: expect.stringContaining('protected paths (.proofloop/config.json')});
		expect(guard?.['files']).toContain('test/aaa-detach.test.mjs');
		expect(events.some(e => e.type === 'merge.done')).toBe(false);
		expect(await trailerCount(root, 'A')).toBe(0);
	});

	it('a tag named like base does not move where the guard diffs from (unsandboxed)', {timeout: 120_000}, async () => {
		const root = finishLineRepo({sandbox: 'none'});
		const result = await runCli(root, ['run', '--headless'], {FAKE_REDTEAM: 'tag-base'});
		expect(result.exitCode, result.stdout + result.stderr).not.toBe(0);
		const events = runEvents(root);
		const guard = events.find(e => e.type === 'guard.result' && e.ticket === 'A');
		expect(guard).toMatchObject({ok: false, reason: expect.stringContaining('protected paths (.proofloop/config.json')});
		expect(events.some(e => e.type === 'merge.done')).toBe(false);
		expect(await trailerCount(root, 'A')).toBe(0);
	});

	it('a healer that sets the checks and verify to `true` is refused, and the ticket stays not done', {timeout: 120_000}, async () => {
		const root = finishLineRepo({selfHeal: {max: 1, repeatLimit: 0}});
		const result = await runCli(root, ['run', '--headless'], {FAKE_REDTEAM: 'heal-config'});
		expect(result.exitCode, result.stdout + result.stderr).not.toBe(0);
		const events = runEvents(root);
		expect(events.find(e => e.type === 'heal.result')).toMatchObject({outcome: 'refused', reason: expect.stringContaining('"checks"')});
		expect(events.some(e => e.type === 'ticket.done')).toBe(false);
		expect(execaSync('git', ['show', 'HEAD:.proofloop/config.json'], {cwd: root}).stdout).toContain('npm run smoke');
	});

	it('a healer that removes the reviewer who keeps refusing the junk is refused', {timeout: 120_000}, async () => {
		const reviewer = {type: 'command', command: `node ${path.resolve('test/fixtures/agents/fake-reviewer.mjs')} {prompt_file}`};
		const {root, plan} = makeRepo({
			tickets: [{id: 'A'}],
			config: {sandbox: mode, attempts: 1, selfHeal: {max: 1, repeatLimit: 0}, agent: {type: 'command', command: `node ${AGENT}`}, reviewer},
		});
		const reviews = `${plan}.reviews.json`;
		writeFileSync(reviews, JSON.stringify({A: ['changes']}));
		const result = await runCli(root, ['run', '--headless'], {FAKE_REDTEAM: 'heal-drop-reviewer', FAKE_REVIEW_PLAN: reviews});
		expect(result.exitCode, result.stdout + result.stderr).not.toBe(0);
		const events = runEvents(root);
		expect(events.find(e => e.type === 'heal.result')).toMatchObject({outcome: 'refused', reason: expect.stringContaining('"reviewer"')});
		expect(events.some(e => e.type === 'ticket.done')).toBe(false);
	});

	it(
		"a new .husky/post-checkout (the repository runs its hooks from .husky/) never runs in the engine's own git: the verify checkout stays what was merged",
		{timeout: 120_000},
		async () => {
			const root = finishLineRepo();
			execaSync('git', ['config', 'core.hooksPath', '.husky'], {cwd: root});
			const result = await runCli(root, ['run', '--headless'], {FAKE_REDTEAM: 'husky'});
			expect(result.exitCode, result.stdout + result.stderr).not.toBe(0);
			const events = runEvents(root);
			expect(
				events.find(e => e.type === 'guard.result' && e.ticket === 'A'),
				result.stdout,
			).toMatchObject({ok: true, files: expect.arrayContaining(['.husky/post-checkout'])});
			expect(events.find(e => e.type === 'verify.result' && e.ticket === 'A')).toMatchObject({ok: false});
			expect(events.some(e => e.type === 'ticket.done')).toBe(false);
		},
	);

	it.skipIf(!sandboxed)(
		'an agent that turns its branch ref into `ref: refs/heads/main` gets nothing committed onto base by the engine',
		{timeout: 120_000},
		async () => {
			const root = finishLineRepo();
			const result = await runCli(root, ['run', '--headless'], {FAKE_REDTEAM: 'symref'});
			expect(result.exitCode, result.stdout + result.stderr).not.toBe(0);
			const events = runEvents(root);
			expect(events.find(e => e.type === 'attempt.failed' && e.ticket === 'A')).toMatchObject({
				stage: 'implement',
				reason: expect.stringContaining('left its worktree on branch main'),
			});
			// Nothing the agent committed reached base (the engine's own end-of-run commits may).
			expect(execaSync('git', ['log', 'main', '--format=%an'], {cwd: root}).stdout.split('\n')).not.toContain('agent');
			expect(events.some(e => e.type === 'merge.done' || e.type === 'ticket.done')).toBe(false);
		},
	);

	it.skipIf(!sandboxed)(
		"a new test file run by the checks cannot write git's config (a core.hooksPath whose post-checkout guts the verify checkout)",
		{timeout: 120_000},
		async () => {
			const root = finishLineRepo();
			const result = await runCli(root, ['run', '--headless'], {FAKE_REDTEAM: 'hook-escape'});
			expect(result.exitCode, result.stdout + result.stderr).not.toBe(0);
			expect(readFileSync(path.join(root, '.git', 'config'), 'utf8')).not.toContain('hooksPath');
			const events = runEvents(root);
			expect(events.find(e => e.type === 'verify.result' && e.ticket === 'A')).toMatchObject({ok: false});
			expect(events.some(e => e.type === 'ticket.done')).toBe(false);
			const log = readFileSync(path.join(root, '.proofloop', 'runs', runDirName(root), 'logs', 'A', '1.log'), 'utf8');
			expect(log).toMatch(/escape failed: (EROFS|ENOENT|EACCES|EPERM)/);
		},
	);

	it.skipIf(!sandboxed)(
		"a new test file run by the checks cannot write ~/.npmrc (script-shell=/bin/true would pass the verify's npm script without work)",
		{timeout: 120_000},
		async () => {
			const root = finishLineRepo();
			// A HOME of the test's own: the machine's ~/.npmrc is never touched.
			const home = mkdtempSync(path.join(tmpdir(), 'redteam-home-'));
			const result = await runCli(root, ['run', '--headless'], {FAKE_REDTEAM: 'npmrc-home', HOME: home});
			expect(result.exitCode, result.stdout + result.stderr).not.toBe(0);
			expect(existsSync(path.join(home, '.npmrc'))).toBe(false);
			const events = runEvents(root);
			expect(events.find(e => e.type === 'verify.result' && e.ticket === 'A')).toMatchObject({ok: false});
			expect(events.some(e => e.type === 'ticket.done')).toBe(false);
			const log = readFileSync(path.join(root, '.proofloop', 'runs', runDirName(root), 'logs', 'A', '1.log'), 'utf8');
			expect(log).toMatch(/escape failed: (EROFS|ENOENT|EACCES|EPERM)/);
		},
	);

	it(
		"an unsandboxed agent that writes a smudge filter into git's config and attributes halts the run, named, before anything merges or verifies",
		{timeout: 120_000},
		async () => {
			const root = finishLineRepo({sandbox: 'none'});
			const result = await runCli(root, ['run', '--headless'], {FAKE_REDTEAM: 'smudge'});
			expect(result.exitCode, result.stdout + result.stderr).not.toBe(0);
			const events = runEvents(root);
			expect(
				events.find(e => e.type === 'run.halted'),
				result.stdout,
			).toMatchObject({cause: 'git.control', message: expect.stringContaining(path.join('.git', 'config'))});
			expect(events.some(e => e.type === 'ticket.done' || e.type === 'merge.done')).toBe(false);
			// The filter never ran in the engine's own git.
			expect(existsSync(path.join(root, '.git', 'smudge-ran'))).toBe(false);
		},
	);

	it(
		"an unsandboxed agent that writes a smudge filter into the user's ~/.gitconfig and ~/.config/git/attributes halts the run, named",
		{timeout: 120_000},
		async () => {
			const root = finishLineRepo({sandbox: 'none'});
			// A HOME of the test's own: the machine's git config is never touched.
			const home = mkdtempSync(path.join(tmpdir(), 'redteam-home-'));
			const result = await runCli(root, ['run', '--headless'], {FAKE_REDTEAM: 'smudge-global', HOME: home, XDG_CONFIG_HOME: ''});
			expect(result.exitCode, result.stdout + result.stderr).not.toBe(0);
			const events = runEvents(root);
			expect(
				events.find(e => e.type === 'run.halted'),
				result.stdout,
			).toMatchObject({cause: 'git.control', message: expect.stringContaining(home)});
			expect(events.some(e => e.type === 'ticket.done' || e.type === 'merge.done')).toBe(false);
			expect(existsSync(path.join(root, '.git', 'smudge-ran'))).toBe(false);
		},
	);
});

function runDirName(root: string): string {
	return execaSync('ls', [path.join(root, '.proofloop', 'runs')]).stdout.split('\n')[0] ?? '';
}
