import {execFileSync, spawnSync} from 'node:child_process';
import {existsSync, mkdirSync, readFileSync, statSync, symlinkSync, writeFileSync} from 'node:fs';
import path from 'node:path';
import {beforeAll, describe, expect, it} from 'vitest';
import type {AgentEvent} from '../../../source/agents/adapter.js';
import {DemoAdapter, demoEnginePath} from '../../../source/demo/adapter.js';
import {runAgent} from '../../../source/agents/runner.js';
import {attemptInput, baseEnv, repoRoot, tempDir} from './helpers.js';

const builtEngine = path.join(repoRoot, 'dist/source/demo/engine.js');
const builtOracle = path.join(repoRoot, 'dist/oracle/oracle.mjs');

const newerThan = (output: string, source: string): boolean => existsSync(output) && statSync(output).mtimeMs >= statSync(source).mtimeMs;

/**
 * The demo engine runs as compiled JS (node cannot run the .ts). Rebuild only
 * when the build is missing or older than its sources. Not incremental: an
 * incremental tsc skips a file whose content did not change, leaving it
 * "older" forever. tsc's exit code is not what decides: while other parts of
 * the tree fail to type-check, tsc still emits ours; what matters is that the
 * outputs are fresh.
 */
beforeAll(() => {
	const fresh = () =>
		['engine', 'recipe', 'stream', 'worktree'].every(name =>
			newerThan(path.join(repoRoot, `dist/source/demo/${name}.js`), path.join(repoRoot, `source/demo/${name}.ts`)),
		) && newerThan(builtOracle, path.join(repoRoot, 'oracle/oracle.mjs'));
	if (fresh()) return;
	const tsc = spawnSync(process.execPath, [path.join(repoRoot, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.json', '--incremental', 'false'], {
		cwd: repoRoot,
		encoding: 'utf8',
	});
	// The asset copy is whatever follows tsc in `npm run build`.
	const build = (JSON.parse(readFileSync(path.join(repoRoot, 'package.json'), 'utf8')) as {scripts: {build: string}}).scripts.build;
	const copy = build.split('&&').slice(1).join('&&').trim();
	if (copy) execFileSync('/bin/sh', ['-c', copy], {cwd: repoRoot, stdio: 'pipe'});
	if (!fresh()) throw new Error(`building the demo engine failed:\n${tsc.stdout}${tsc.stderr}`);
}, 120_000);

/** A git repo with one commit, the worktree the demo works in. */
function repo(): string {
	const dir = path.join(tempDir(), 'worktree');
	mkdirSync(dir);
	const git = (...args: string[]) => execFileSync('git', args, {cwd: dir, stdio: 'pipe'});
	git('init', '-q', '-b', 'main');
	git('config', 'user.name', 'Test');
	git('config', 'user.email', 'test@example.invalid');
	writeFileSync(path.join(dir, 'README.md'), 'seed\n');
	git('add', '-A');
	git('commit', '-q', '-m', 'seed');
	return dir;
}

const gitOut = (dir: string, ...args: string[]): string => execFileSync('git', args, {cwd: dir, encoding: 'utf8'}).trim();

/** A prompt as the engine renders it: text around the ticket, verbatim in its block. */
function prompt(recipe: string[], extraFrontMatter = ''): string {
	return [
		'You are one worker of an unattended batch.',
		'',
		'<ticket file=".proofloop/tickets/T-1.md">',
		'---',
		'id: T-1',
		'title: Say hello',
		'status: in_progress',
		...(extraFrontMatter ? [extraFrontMatter] : []),
		'demo: |',
		...recipe.map(line => `  ${line}`),
		'---',
		'Make the greeting.',
		'</ticket>',
		'',
		'## Rules',
	].join('\n');
}

/** Runs the demo through the real adapter and runner, like the engine does. */
async function runDemo(worktree: string, promptText: string, attempt = 1, role?: string) {
	const promptFile = path.join(path.dirname(worktree), 'prompt.md');
	writeFileSync(promptFile, promptText);
	const logFile = path.join(path.dirname(worktree), 'logs', `${attempt}.log`);
	const events: AgentEvent[] = [];
	const result = await runAgent({
		adapter: new DemoAdapter(),
		input: attemptInput(worktree, {promptFile, attempt}),
		env: {...baseEnv(), HOME: process.env['HOME'] ?? '/tmp', PROOFLOOP_DEMO_STEP_MS: '0', ...(role ? {PROOFLOOP_ROLE: role} : {})},
		logFile,
		timeoutMs: 30_000,
		onEvent: event => events.push(event),
	});
	const lines = readFileSync(logFile, 'utf8')
		.split('\n')
		.filter(line => line.startsWith('{'))
		.map(line => JSON.parse(line) as Record<string, unknown>);
	return {result, events, lines, resultLine: lines.at(-1)!};
}

const recipe = [
	'{"write": "hello.txt", "content": "hello\\n", "attempt": 1}',
	'{"say": "wrote the greeting"}',
	'{"append": "docs/notes.md", "content": "- greeted\\n"}',
	'{"write": "second.txt", "content": "again\\n", "attempt": [2, 3]}',
];

describe('demo engine', () => {
	it('resolves its built JS from the TS sources (the vitest case)', () => {
		expect(demoEnginePath()).toBe(builtEngine);
	});

	it('as the planner (plan review) it says what its recipe will do and touches nothing', async () => {
		const worktree = repo();
		const {result, events} = await runDemo(worktree, prompt(recipe), 1, 'planner');
		expect(result).toMatchObject({ok: true, exitCode: 0});
		expect(events.find(e => e.type === 'result')).toMatchObject({
			ok: true,
			message: 'Plan for T-1 (Say hello): write hello.txt, say, append docs/notes.md; the checks prove it.',
		});
		expect(existsSync(path.join(worktree, 'hello.txt'))).toBe(false);
		expect(gitOut(worktree, 'log', '--format=%s')).toBe('seed');
	});

	it('attempt 1: writes the files, commits them, ends with a success result', async () => {
		const worktree = repo();
		const {result, events, lines, resultLine} = await runDemo(worktree, prompt(recipe));
		expect(result).toMatchObject({ok: true, exitCode: 0, timedOut: false});
		expect(readFileSync(path.join(worktree, 'hello.txt'), 'utf8')).toBe('hello\n');
		expect(readFileSync(path.join(worktree, 'docs/notes.md'), 'utf8')).toBe('- greeted\n');
		expect(existsSync(path.join(worktree, 'second.txt'))).toBe(false);
		expect(gitOut(worktree, 'log', '-1', '--format=%s')).toBe('T-1: Say hello (attempt 1)');
		expect(gitOut(worktree, 'status', '--porcelain')).toBe('');

		expect(lines[0]).toMatchObject({type: 'system', subtype: 'init', model: 'proofloop-demo', cwd: worktree});
		expect(resultLine).toMatchObject({type: 'result', subtype: 'success', is_error: false, total_cost_usd: 0});
		expect(events.filter(e => e.type !== 'usage')).toEqual([
			{type: 'tool', name: 'Write', detail: path.join(worktree, 'hello.txt')},
			{type: 'text', text: 'wrote the greeting'},
			{type: 'tool', name: 'Edit', detail: path.join(worktree, 'docs/notes.md')},
			{type: 'tool', name: 'Bash', detail: "git add -A && git commit -m 'T-1: Say hello (attempt 1)'"},
			{
				type: 'result',
				ok: true,
				message: expect.stringMatching(/^T-1 attempt 1: wrote hello.txt, appended to docs\/notes.md; committed [0-9a-f]{7}/),
				sessionId: expect.any(String),
			},
		]);
		expect(result.usage.inputTokens).toBeGreaterThan(0);
		expect(result.usage.outputTokens).toBeGreaterThan(0);
		// Each tool call is answered by a tool_result, as claude prints them.
		expect(lines.filter(line => line['type'] === 'user')).toHaveLength(3);
	});

	it('attempt filters: attempt 2 applies the attempt-2 action and skips the attempt-1 one', async () => {
		const worktree = repo();
		const {result} = await runDemo(worktree, prompt(recipe), 2);
		expect(result.ok).toBe(true);
		expect(existsSync(path.join(worktree, 'hello.txt'))).toBe(false);
		expect(readFileSync(path.join(worktree, 'second.txt'), 'utf8')).toBe('again\n');
		expect(gitOut(worktree, 'log', '-1', '--format=%s')).toBe('T-1: Say hello (attempt 2)');
	});

	it('fail: an error result, exit 1, nothing committed', async () => {
		const worktree = repo();
		const {result, resultLine} = await runDemo(worktree, prompt(['{"write": "half.txt", "content": "x"}', '{"fail": "the tests do not pass yet"}']));
		expect(result).toMatchObject({ok: false, reason: 'the tests do not pass yet', exitCode: 1});
		expect(resultLine).toMatchObject({type: 'result', subtype: 'error_during_execution', is_error: true, errors: ['the tests do not pass yet']});
		expect(gitOut(worktree, 'log', '--format=%s')).toBe('seed');
	});

	it('refuses paths that leave the worktree, before touching anything', async () => {
		for (const bad of ['../outside.txt', '/tmp/proofloop-demo-absolute.txt', 'a/../../outside.txt', '.git/config']) {
			const worktree = repo();
			const {result, resultLine} = await runDemo(worktree, prompt(['{"write": "fine.txt", "content": "x"}', JSON.stringify({write: bad, content: 'pwned'})]));
			expect(result.ok).toBe(false);
			expect(result.exitCode).toBe(1);
			expect(result.reason).toContain(`refused ${bad}`);
			expect(result.reason).toMatch(/^\.proofloop\/tickets\/T-1\.md:\d+: demo recipe line 2: /);
			expect(resultLine).toMatchObject({is_error: true});
			expect(existsSync(path.join(worktree, 'fine.txt'))).toBe(false);
			expect(existsSync(path.join(path.dirname(worktree), 'outside.txt'))).toBe(false);
		}
		expect(existsSync('/tmp/proofloop-demo-absolute.txt')).toBe(false);
	});

	it('refuses a path through a symlink that points outside', async () => {
		const worktree = repo();
		const outside = tempDir();
		symlinkSync(outside, path.join(worktree, 'link'));
		const {result} = await runDemo(worktree, prompt(['{"write": "link/escaped.txt", "content": "x"}']));
		expect(result.ok).toBe(false);
		expect(result.reason).toContain('link links outside the worktree');
		expect(existsSync(path.join(outside, 'escaped.txt'))).toBe(false);
	});

	it('a bad prompt or recipe ends in an error result naming the problem', async () => {
		const noTicket = await runDemo(repo(), 'just some text, no ticket block');
		expect(noTicket.result).toMatchObject({ok: false, exitCode: 1});
		expect(noTicket.result.reason).toContain('the prompt has no ticket block');

		// Ticket lines: 1 ---, 2 id, 3 title, 4 status, 5 demo: |, 6 the first recipe line.
		const badJson = await runDemo(repo(), prompt(['{"say": "ok"}', '{"write": "x.txt", content}']));
		expect(badJson.result.reason).toMatch(/^\.proofloop\/tickets\/T-1\.md:7: demo recipe line 2: not JSON/);

		const badKey = await runDemo(repo(), prompt(['{"write": "x.txt", "contnet": "typo"}']));
		expect(badKey.result.reason).toContain('unknown key "contnet"');

		const badFrontMatter = await runDemo(repo(), prompt([], 'deps: [T-2,'));
		expect(badFrontMatter.result.ok).toBe(false);
		expect(badFrontMatter.result.reason).toMatch(/^\.proofloop\/tickets\/T-1\.md:5: /);
	});

	it('with nothing changed it skips the commit and still succeeds', async () => {
		const worktree = repo();
		const head = gitOut(worktree, 'rev-parse', 'HEAD');
		const {result, events} = await runDemo(worktree, prompt(['{"say": "nothing to do"}']));
		expect(result.ok).toBe(true);
		expect(gitOut(worktree, 'rev-parse', 'HEAD')).toBe(head);
		expect(events.filter(e => e.type === 'tool')).toEqual([]);
	});

	it('deletes a file and commits the deletion', async () => {
		const worktree = repo();
		const {result, events} = await runDemo(worktree, prompt(['{"delete": "README.md"}']));
		expect(result.ok).toBe(true);
		expect(existsSync(path.join(worktree, 'README.md'))).toBe(false);
		expect(events[0]).toEqual({type: 'tool', name: 'Bash', detail: 'rm -- README.md'});
		expect(gitOut(worktree, 'show', '--name-status', '--format=', 'HEAD')).toBe('D\tREADME.md');
	});
});
