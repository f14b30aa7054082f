import {mkdirSync, readFileSync, statSync, writeFileSync} from 'node:fs';
import path from 'node:path';
import {execaSync} from 'execa';
import {describe, expect, it} from 'vitest';
import {TextStreamParser} from '../../../source/agents/text-stream.js';
import {configHomes} from '../../../source/agents/registry.js';
import {gitWrites} from '../../../source/agents/git-writes.js';
import {checkWritable, probeBwrap, resolveSandbox, sandboxCommand, type SandboxPolicy} from '../../../source/agents/sandbox.js';
import {runAgent} from '../../../source/agents/runner.js';
import {AGENT_ENV_ALLOW, envAllowed} from '../../../source/core/context.js';
import {attemptInput, baseEnv, fixedAdapter, fixture, tempDir} from './helpers.js';

/** A repo with a linked worktree on proofloop/T-1, as the engine makes them. */
function repoWithWorktree(branch = 'proofloop/T-1') {
	const root = tempDir('pl-sbx-');
	const git = (...args: string[]) => execaSync('git', args, {cwd: root});
	git('init', '-q', '-b', 'main');
	git('-c', 'user.name=t', '-c', 'user.email=t@t', 'commit', '-q', '--allow-empty', '-m', 'init');
	const worktree = path.join(root, '.proofloop', 'worktrees', 'T-1');
	git('worktree', 'add', '-q', '-b', branch, worktree);
	return {root, worktree};
}

const policy = (root: string, overrides: Partial<SandboxPolicy> = {}): SandboxPolicy => ({
	bwrap: '/usr/bin/bwrap',
	userns: true,
	repoRoot: root,
	protect: [root, path.join(root, '.git'), path.join(root, '.proofloop/tickets'), path.join(root, '.proofloop/runs')],
	readable: [],
	writable: [],
	env: {HOME: path.join(root, '..', 'no-home'), PATH: '/usr/bin:/bin'},
	...overrides,
});

/** The binds of a command line, in order: [flag, path]. */
const binds = (args: string[]) => {
	const out: Array<[string, string]> = [];
	for (let i = 0; i < args.length; i++) {
		if (args[i] === '--') break;
		if (args[i] === '--bind' || args[i] === '--ro-bind') out.push([args[i]!, args[i + 1]!]);
	}
	return out;
};

describe('the bwrap command line', () => {
	it("binds the worktree, its gitdir and its branch ref dir writable (not the shared object store: the agent's git writes its own), and re-protects the files that steer git", () => {
		const {root, worktree} = repoWithWorktree();
		const git = path.join(root, '.git');
		const command = sandboxCommand(policy(root), {worktree, agent: 'command', file: '/bin/sh', args: ['-c', 'true']});
		expect(command.file).toBe('/usr/bin/bwrap');
		const list = binds(command.args);
		const rw = list.filter(([flag]) => flag === '--bind').map(([, p]) => p);
		expect(rw).toEqual([
			worktree,
			path.join(git, 'worktrees', 'T-1'),
			path.join(git, 'refs', 'heads', 'proofloop'),
			path.join(git, 'logs', 'refs', 'heads', 'proofloop'),
		]);
		const ro = list.filter(([flag]) => flag === '--ro-bind').map(([, p]) => p);
		expect(ro[0]).toBe('/');
		// The repo lives under /tmp, which the sandbox replaces: it is made visible read-only first.
		expect(ro).toContain(root);
		for (const p of [path.join(worktree, '.git'), ...['HEAD', 'commondir', 'gitdir'].map(f => path.join(git, 'worktrees', 'T-1', f))]) {
			expect(ro).toContain(p);
			// After the writable bind it sits in, or it would be covered.
			expect(list.findIndex(([f, q]) => f === '--ro-bind' && q === p)).toBeGreaterThan(list.findIndex(([f]) => f === '--bind'));
		}
		const flags = command.args.slice(0, command.args.indexOf('--'));
		for (const flag of ['--cap-drop', '--unshare-pid', '--new-session', '--die-with-parent', '--unshare-user', '--disable-userns'])
			expect(flags).toContain(flag);
		expect(flags).not.toContain('--unshare-net');
		expect(flags[flags.indexOf('--cap-drop') + 1]).toBe('ALL');
		expect(command.args.slice(command.args.indexOf('--') + 1)).toEqual(['/bin/sh', '-c', 'true']);
		expect(rw.some(p => p.startsWith(path.join(git, 'objects')))).toBe(false);
		expect(command.env).toEqual({
			TMPDIR: '/tmp',
			IS_SANDBOX: '1',
			GIT_OBJECT_DIRECTORY: path.join(git, 'worktrees', 'T-1', 'agent-objects'),
			GIT_ALTERNATE_OBJECT_DIRECTORIES: path.join(git, 'objects'),
		});
	});

	it("the run's channel directory is emptied in the box, and only the attempt's own worker socket is put back, after every other mount", () => {
		const {root, worktree} = repoWithWorktree();
		const channels = tempDir('pl-chan-');
		const socket = path.join(channels, 'run', 'w-0123.sock');
		mkdirSync(path.dirname(socket));
		writeFileSync(socket, '');
		const args = sandboxCommand(policy(root, {socket, hide: [channels]}), {worktree, agent: 'command', file: 'x', args: []}).args;
		const hideAt = args.findIndex((a, i) => a === '--tmpfs' && args[i + 1] === channels);
		expect(hideAt).toBeGreaterThan(args.lastIndexOf('--ro-bind'));
		expect(args.indexOf(socket)).toBeGreaterThan(hideAt);
		expect(args.findIndex((a, i) => a === '--remount-ro' && args[i + 1] === channels)).toBeGreaterThan(args.indexOf(socket));
		// A reviewer's box (no socket): the directory is still emptied, nothing put back.
		const reviewer = sandboxCommand(policy(root, {hide: [channels]}), {worktree, agent: 'command', file: 'x', args: []}).args;
		expect(reviewer).toContain(channels);
		expect(reviewer).not.toContain(socket);
	});

	it('a control socket under /tmp (a deep run dir) is bound into the private /tmp, so `proofloop ticket` still reaches the engine', () => {
		const {root, worktree} = repoWithWorktree();
		const socket = path.join(tempDir('pl-sock-'), 'proofloop-0123.sock');
		writeFileSync(socket, '');
		const list = binds(sandboxCommand(policy(root, {socket}), {worktree, agent: 'command', file: 'x', args: []}).args);
		expect(list).toContainEqual(['--bind', socket]);
		const args = sandboxCommand(policy(root, {socket}), {worktree, agent: 'command', file: 'x', args: []}).args;
		expect(args.indexOf(socket)).toBeGreaterThan(args.indexOf('--tmpfs'));
	});

	it("never opens a top-level branch ref dir (it would hold the base branch), nor a detached checkout's refs", () => {
		const {root, worktree} = repoWithWorktree('topic');
		expect(gitWrites(worktree).refDir).toBeUndefined();
		const rw = binds(sandboxCommand(policy(root), {worktree, agent: 'command', file: 'x', args: []}).args).filter(([f]) => f === '--bind');
		expect(rw.map(([, p]) => p)).not.toContain(path.join(root, '.git', 'refs', 'heads'));
		execaSync('git', ['checkout', '-q', '--detach'], {cwd: worktree});
		expect(gitWrites(worktree).refDir).toBeUndefined();
	});

	it('refuses a writable path that covers a protected directory', () => {
		const {root, worktree} = repoWithWorktree();
		expect(() => checkWritable([path.join(root, '.proofloop')], policy(root).protect)).toThrow(/contains .*\.proofloop\/(tickets|runs)/);
		expect(() => checkWritable([path.join(root, 'cache')], policy(root).protect)).not.toThrow();
		expect(() => sandboxCommand(policy(root, {writable: [root]}), {worktree, agent: 'command', file: 'x', args: []})).toThrow(/would cover/);
	});

	it("binds each CLI's config home (created when missing), and none for a command or the demo", () => {
		const {root, worktree} = repoWithWorktree();
		const home = tempDir('pl-home-');
		const env = {HOME: home, PATH: '/usr/bin:/bin', CODEX_HOME: path.join(home, 'codex-home')};
		const rw = (agent: string) =>
			binds(sandboxCommand(policy(root, {env}), {worktree, agent, file: 'x', args: []}).args)
				.filter(([f]) => f === '--bind')
				.map(([, p]) => p)
				.slice(4);
		expect(rw('codex')).toEqual([path.join(home, 'codex-home')]);
		expect(statSync(path.join(home, 'codex-home')).isDirectory()).toBe(true);
		expect(rw('claude')).toEqual([path.join(home, '.claude'), path.join(home, '.local/state/claude'), path.join(home, '.cache/claude')]);
		writeFileSync(path.join(home, '.claude.json'), '{}');
		expect(rw('claude')).toContain(path.join(home, '.claude.json'));
		expect(rw('command')).toEqual([]);
		expect(rw('demo')).toEqual([]);
		expect(configHomes('opencode', {HOME: home}).map(h => h.dir)).toContain(path.join(home, '.local/share/opencode'));
	});
});

describe('choosing the sandbox', () => {
	it('"none" is none; "bwrap" or "auto" without bwrap is refused naming the fix; --unsandboxed is none on purpose', () => {
		expect(resolveSandbox('none')).toMatchObject({mode: 'none'});
		const missing = {PROOFLOOP_BWRAP: '/nonexistent/bwrap', PATH: '/usr/bin:/bin'};
		expect(() => resolveSandbox('bwrap', missing)).toThrow(/fix: apt-get install bubblewrap/);
		expect(() => resolveSandbox('auto', missing)).toThrow(
			/no working sandbox here: .*\n {2}fix: apt-get install bubblewrap .*"sandbox": "none".*--unsandboxed/,
		);
		expect(resolveSandbox('auto', missing, {unsandboxed: true})).toMatchObject({mode: 'none', reason: expect.stringMatching(/--unsandboxed/)});
	});
});

describe('the agent environment allow-list', () => {
	it('passes names exactly and prefixes ending in _ or *', () => {
		const allow = [...AGENT_ENV_ALLOW, 'FAKE_', 'MY*', 'ONE'];
		for (const name of [
			'PATH',
			'HOME',
			'LC_ALL',
			'ANTHROPIC_API_KEY',
			'CLAUDE_CODE_OAUTH_TOKEN',
			'OPENAI_BASE_URL',
			'CODEX_HOME',
			'GEMINI_API_KEY',
			'GOOGLE_CLOUD_PROJECT',
			'OPENCODE_CONFIG',
			'IS_SANDBOX',
			'PROOFLOOP_RUN_ID',
			'FAKE_AGENT_PLAN',
			'MYTHING',
			'ONE',
		]) {
			expect(envAllowed(name, allow), name).toBe(true);
		}
		for (const name of ['AWS_SECRET_ACCESS_KEY', 'GITHUB_TOKEN', 'NPM_TOKEN', 'DATABASE_URL', 'ONE_MORE', 'PATHX', 'SSH_AUTH_SOCK'])
			expect(envAllowed(name, allow), name).toBe(false);
	});
});

describe('the agent log is capped', () => {
	it('keeps the first maxLogBytes and the last MiB, and says how much it left out', async () => {
		const work = tempDir();
		const logFile = path.join(work, 'a.log');
		// 40 lines of 100 KiB: 4 MB, against a 1 MB cap.
		const args = [...Array.from({length: 39}, () => 'LONG:102400'), 'the last line'];
		const result = await runAgent({
			adapter: fixedAdapter({file: fixture('print-and-exit.mjs'), args}, () => new TextStreamParser()),
			input: attemptInput(work),
			env: baseEnv(),
			logFile,
			timeoutMs: 20_000,
			maxLogBytes: 1024 * 1024,
		});
		expect(result.ok).toBe(true);
		const log = readFileSync(logFile, 'utf8');
		const marker = /\n\[proofloop: the output passed 1048576 bytes; (\d+) bytes left out, the last 1048576 follow\]\n/.exec(log);
		expect(marker).not.toBeNull();
		const total = 39 * 102401 + 'the last line\n'.length;
		expect(Number(marker![1])).toBe(total - 1024 * 1024 - 1024 * 1024);
		expect(log.endsWith('the last line\n')).toBe(true);
		expect(log.length).toBe(1024 * 1024 + marker![0].length + 1024 * 1024);
	});
});

describe.skipIf(!probeBwrap().ok)('a real sandboxed run', () => {
	it('the agent writes its worktree, not the repo, and sees a private /tmp', async () => {
		const {root, worktree} = repoWithWorktree();
		mkdirSync(path.join(root, 'out'), {recursive: true});
		const probe = probeBwrap();
		if (!probe.ok) return;
		const script = 'echo mine > mine.txt; echo x > ../../../outside.txt 2>/dev/null && echo WROTE-OUTSIDE; echo t > /tmp/t && echo TMP-OK; ls /tmp';
		const result = await runAgent({
			adapter: fixedAdapter({file: '/bin/sh', args: ['-c', script]}, () => new TextStreamParser()),
			input: attemptInput(worktree),
			env: baseEnv(),
			logFile: path.join(root, 'out', 'a.log'),
			timeoutMs: 20_000,
			sandbox: policy(root, {bwrap: probe.bwrap, userns: probe.userns}),
		});
		expect(result.ok).toBe(true);
		const log = readFileSync(path.join(root, 'out', 'a.log'), 'utf8');
		expect(readFileSync(path.join(worktree, 'mine.txt'), 'utf8')).toBe('mine\n');
		expect(log).not.toMatch(/WROTE-OUTSIDE/);
		expect(log).toMatch(/TMP-OK/);
		expect(() => statSync(path.join(root, 'outside.txt'))).toThrow();
	});
});
