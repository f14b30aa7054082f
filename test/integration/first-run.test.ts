/**
 * A new user's first run: `init` writes an agent CLI it finds on PATH, and
 * `run` uses it; with none installed, `init` says how to install one and `run`
 * refuses (exit 2, nothing written) instead of falling back to the demo engine.
 */
import {existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import path from 'node:path';
import {execa} from 'execa';
import {describe, expect, it} from 'vitest';
import {probeBwrap} from '../../source/agents/sandbox.js';
import {schemaReference} from '../../source/commands/init.js';
import {CHECKOUT_READABLE, CLI, runCli, runEvents} from '../helpers/repo.js';

const FAKE_BIN = path.resolve('test/fixtures/agents/bin');
// node and git, without any agent CLI a developer may have installed.
const SYSTEM_PATH = [path.dirname(process.execPath), '/usr/local/bin', '/usr/bin', '/bin'].join(path.delimiter);
// The fakes live in this checkout; a checkout under /tmp is hidden from a sandboxed agent.
const UNSANDBOXED = !probeBwrap().ok || CHECKOUT_READABLE.length > 0 ? ['--unsandboxed'] : [];

async function freshRepo(): Promise<{root: string; env: Record<string, string>}> {
	const root = mkdtempSync(path.join(tmpdir(), 'pl-first-'));
	await execa('git', ['init', '-q', '-b', 'main'], {cwd: root});
	await execa('git', ['-c', 'user.name=t', '-c', 'user.email=t@example.invalid', 'commit', '-q', '--allow-empty', '-m', 'init'], {cwd: root});
	// An empty preferences store: a developer's defaultAgent must not fill the gap.
	return {root, env: {PROOFLOOP_CONFIG_HOME: mkdtempSync(path.join(tmpdir(), 'pl-prefs-'))}};
}

async function commitAll(root: string): Promise<void> {
	await execa('git', ['add', '-A'], {cwd: root});
	await execa('git', ['-c', 'user.name=t', '-c', 'user.email=t@example.invalid', 'commit', '-q', '-m', 'proofloop init'], {cwd: root});
}

const readConfig = (root: string) => JSON.parse(readFileSync(path.join(root, '.proofloop/config.json'), 'utf8')) as Record<string, unknown>;

describe('first run', () => {
	it('init writes the claude it finds on PATH, and run starts its attempts with it', async () => {
		const {root, env} = await freshRepo();
		const PATH = `${FAKE_BIN}${path.delimiter}${SYSTEM_PATH}`;
		const init = await runCli(root, ['init'], {...env, PATH});
		expect(init.exitCode).toBe(0);
		expect(init.stdout).toMatch(/agent: claude \(.*test\/fixtures\/agents\/bin\/claude\)/);
		expect(readConfig(root)['agent']).toEqual({type: 'claude'});
		await commitAll(root);

		const run = await runCli(root, ['run', '--headless', ...UNSANDBOXED], {...env, PATH});
		// The fake replays nothing, so the ticket fails; what counts is who ran it.
		expect(run.stderr).not.toMatch(/internal error/);
		expect(run.exitCode).toBe(1);
		const started = runEvents(root).filter(e => e.type === 'attempt.started');
		expect(started.length).toBeGreaterThan(0);
		expect(started.every(e => e.type === 'attempt.started' && e.agent === 'claude')).toBe(true);
	}, 120_000);

	it('a claude that is installed but does not start (a broken install) is refused before any attempt is spent', async () => {
		const {root, env} = await freshRepo();
		const bin = mkdtempSync(path.join(tmpdir(), 'pl-broken-bin-'));
		writeFileSync(path.join(bin, 'claude'), '#!/bin/sh\necho "Error: Cannot find module \'/opt/claude/cli.js\'" >&2\nexit 1\n', {mode: 0o755});
		const PATH = `${bin}${path.delimiter}${SYSTEM_PATH}`;
		expect((await runCli(root, ['init', '--agent', 'claude'], {...env, PATH})).exitCode).toBe(0);
		await commitAll(root);
		const run = await runCli(root, ['run', '--headless', ...UNSANDBOXED], {...env, PATH});
		expect(run.exitCode, run.stdout + run.stderr).toBe(2);
		expect(run.stderr).toMatch(/`claude --version` failed \(Error: Cannot find module '\/opt\/claude\/cli\.js'\): it is installed but does not start/);
		expect(run.stderr).toMatch(/fix: reinstall it/);
		expect(existsSync(path.join(root, '.proofloop/runs')) ? runEvents(root).filter(e => e.type === 'attempt.started') : []).toEqual([]);
	}, 120_000);

	it('with no agent CLI, init says how to install one and run refuses instead of running the demo engine', async () => {
		const {root, env} = await freshRepo();
		const init = await runCli(root, ['init'], {...env, PATH: SYSTEM_PATH});
		expect(init.exitCode).toBe(0);
		expect(init.stdout).toMatch(/no agent CLI found on PATH/);
		expect(init.stdout).toMatch(/npm install -g @anthropic-ai\/claude-code/);
		expect(init.stdout).toMatch(/npm install -g @openai\/codex/);
		expect(readConfig(root)['agent']).toBeUndefined();
		await commitAll(root);

		const before = (await execa('git', ['status', '--porcelain', '--ignored'], {cwd: root})).stdout;
		const run = await runCli(root, ['run', '--headless', ...UNSANDBOXED], {...env, PATH: SYSTEM_PATH});
		expect(run.exitCode).toBe(2);
		expect(run.stderr).toMatch(/\.proofloop\/config\.json: no agent is configured/);
		expect(run.stderr).toMatch(/fix: set "agent"/);
		expect(run.stderr).not.toMatch(/\n\s+at /);
		expect(existsSync(path.join(root, '.proofloop/runs'))).toBe(false);
		expect((await execa('git', ['status', '--porcelain', '--ignored'], {cwd: root})).stdout).toBe(before);

		// In a terminal too, where the engine would start in the background: refused before anything is written.
		if ((await execa('script', ['--version'], {reject: false})).exitCode === 0) {
			const tty = await execa('script', ['-qec', `${process.execPath} ${CLI} run`, '/dev/null'], {
				cwd: root,
				env: {...env, PATH: SYSTEM_PATH, NO_COLOR: '1'},
				reject: false,
			});
			expect(tty.exitCode).toBe(2);
			expect(tty.stdout).toMatch(/no agent is configured/);
			expect(existsSync(path.join(root, '.proofloop/runs'))).toBe(false);
		}

		const doctor = await runCli(root, ['doctor'], {...env, PATH: SYSTEM_PATH});
		expect(doctor.stdout).toMatch(/FAIL {2}agent: none configured in \.proofloop\/config\.json/);
	}, 60_000);

	it('in a terminal, init asks which of the CLIs found runs the tickets (an answer it cannot use is asked again)', async () => {
		const script = await execa('script', ['--version'], {reject: false});
		if (script.exitCode !== 0) return; // util-linux's script gives the command a terminal; without it there is none to test
		const {root, env} = await freshRepo();
		const PATH = `${FAKE_BIN}${path.delimiter}${SYSTEM_PATH}`;
		const result = await execa('script', ['-qec', `${process.execPath} ${CLI} init`, '/dev/null'], {
			cwd: root,
			input: 'x\n2\n',
			env: {...env, PATH, NO_COLOR: '1'},
			reject: false,
		});
		expect(result.stdout).toMatch(/1\) claude [^\n]*\n\s+2\) codex/);
		expect(result.stdout).toMatch(/answer a number from 1 to \d+ or a name/);
		expect(readConfig(root)['agent']).toEqual({type: 'codex'});
	}, 60_000);

	it('--agent names the agent; an unknown one is refused and nothing is written', async () => {
		const {root, env} = await freshRepo();
		const bad = await runCli(root, ['init', '--agent', 'gpt-9'], {...env, PATH: SYSTEM_PATH});
		expect(bad.exitCode).toBe(2);
		expect(bad.stderr).toMatch(/--agent gpt-9.*\n.*fix: use one of claude, codex, copilot, gemini, opencode, demo/);
		expect(existsSync(path.join(root, '.proofloop'))).toBe(false);
		const demo = await runCli(root, ['init', '--agent', 'demo'], {...env, PATH: SYSTEM_PATH});
		expect(demo.exitCode).toBe(0);
		expect(readConfig(root)['agent']).toEqual({type: 'demo'});
	});

	it('$schema: the project-local copy when proofloop is installed in the project, else the published one of this version', () => {
		const root = mkdtempSync(path.join(tmpdir(), 'pl-schema-'));
		const local = path.join(root, 'node_modules', 'proofloop');
		mkdirSync(path.join(local, 'schema'), {recursive: true});
		const ref = schemaReference(root, local, '1.2.3');
		expect(ref).toBe('../node_modules/proofloop/schema/config.schema.json');
		// Relative to the config file, as editors resolve it.
		expect(path.resolve(root, '.proofloop', ref)).toBe(path.join(local, 'schema', 'config.schema.json'));
		expect(schemaReference(root, path.resolve('.'), '1.2.3')).toBe('https://unpkg.com/proofloop@1.2.3/schema/config.schema.json');
	});
});
