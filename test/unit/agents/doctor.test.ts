/**
 * doctor: real processes on a PATH we control. The fakes are executables
 * found on PATH like the real CLIs (test/fixtures/agents/bin/, or a script
 * written into a temp dir), nothing else is faked.
 */
import {chmodSync, mkdirSync, symlinkSync, writeFileSync} from 'node:fs';
import path from 'node:path';
import {describe, expect, it} from 'vitest';
import {AgentConfig} from '../../../source/agents/config.js';
import {doctor, findExecutable, mentions} from '../../../source/agents/doctor.js';
import {fixture, tempDir} from './helpers.js';

const nodeDir = path.dirname(process.execPath);

/** A dir holding only the named executables, linked from where they really are. */
function binDir(links: {[name: string]: string}): string {
	const dir = path.join(tempDir(), 'bin');
	mkdirSync(dir);
	for (const [name, target] of Object.entries(links)) symlinkSync(target, path.join(dir, name));
	return dir;
}

const configs = (...types: Array<'claude' | 'codex' | 'gemini' | 'opencode' | 'copilot'>) => types.map(type => AgentConfig.parse({type}));

describe('doctor', () => {
	it('all present: git, each CLI with its version and flags; no sandbox is a warning, not a failure', async () => {
		const git = await findExecutable('git', {PATH: process.env['PATH'] ?? ''});
		const dir = binDir({git: git!, node: process.execPath});
		const report = await doctor(configs('claude', 'codex', 'gemini', 'opencode', 'copilot', 'claude'), {env: {PATH: `${fixture('bin')}:${dir}`}, uid: 1000});
		const byName = Object.fromEntries(report.checks.map(check => [check.name, check]));
		expect(report.checks.map(check => check.name)).toEqual([
			'git',
			'claude',
			'claude flags',
			'codex',
			'codex flags',
			'gemini',
			'gemini flags',
			'opencode',
			'opencode flags',
			'copilot',
			'copilot flags',
			'sandbox',
			'containment',
		]);
		expect(byName['git']).toMatchObject({ok: true, detail: expect.stringMatching(/^git version \d/)});
		expect(byName['claude']).toEqual({name: 'claude', ok: true, detail: `2.1.330 (Claude Code) (${fixture('bin/claude')})`});
		expect(byName['codex']).toMatchObject({ok: true, detail: expect.stringMatching(/^codex-cli 0\.169\.0 /)});
		expect(byName['codex flags']).toMatchObject({
			ok: true,
			detail: expect.stringContaining('`codex exec --help` lists --json --dangerously-bypass-approvals-and-sandbox'),
		});
		expect(byName['opencode flags']).toMatchObject({ok: true, detail: expect.stringContaining('`opencode run --help` lists --format --auto --model')});
		expect(byName['copilot flags']).toMatchObject({
			ok: true,
			detail: expect.stringContaining('`copilot --help` lists --prompt --output-format --allow-all --no-auto-update --model'),
		});
		expect(byName['sandbox']).toEqual({
			name: 'sandbox',
			ok: false,
			optional: true,
			detail: 'bwrap (bubblewrap) not found on PATH: a run refuses to start unless "sandbox": "none" (or run --unsandboxed)',
			fix: 'install bubblewrap (Debian/Ubuntu: apt-get install bubblewrap), or set "sandbox": "none" in .proofloop/config.json to run agents unsandboxed on purpose',
		});
		expect(report.ok).toBe(true);
	});

	it('a claude whose --help lacks a flag we rely on: reported missing, with the fix', async () => {
		const dir = path.join(tempDir(), 'bin');
		mkdirSync(dir);
		const fake = path.join(dir, 'claude');
		// Everything but --dangerously-skip-permissions.
		writeFileSync(
			fake,
			[
				'#!/bin/sh',
				'case "$1" in',
				'  --version) printf "1.0.0 (Claude Code)\\n" ;;',
				'  --help) printf "  -p, --print  Print response and exit\\n  --output-format <format>\\n  --verbose\\n  --dangerously-skip-permissions-please\\n  --model <model>\\n" ;;',
				'  *) exit 2 ;;',
				'esac',
			].join('\n'),
		);
		chmodSync(fake, 0o755);
		const report = await doctor(configs('claude'), {env: {PATH: dir}, uid: 1000});
		const flags = report.checks.find(check => check.name === 'claude flags');
		expect(report.checks.find(check => check.name === 'claude')).toEqual({name: 'claude', ok: true, detail: `1.0.0 (Claude Code) (${fake})`});
		expect(flags).toEqual({
			name: 'claude flags',
			ok: false,
			detail: '`claude --help` does not list --dangerously-skip-permissions; proofloop runs claude with them',
			fix: 'update it: npm install -g @anthropic-ai/claude-code@latest',
		});
		expect(report.ok).toBe(false);
	});

	it('a configured CLI that is missing: not ok, with the npm package to install; git missing too', async () => {
		const report = await doctor(configs('codex'), {env: {PATH: tempDir()}, uid: 1000});
		expect(report.checks.find(check => check.name === 'codex')).toEqual({
			name: 'codex',
			ok: false,
			detail: 'codex not found on PATH',
			fix: 'install it: npm install -g @openai/codex',
		});
		expect(report.checks.find(check => check.name === 'git')).toMatchObject({ok: false, fix: 'install git (Debian/Ubuntu: apt-get install git)'});
		expect(report.ok).toBe(false);
	});

	it('a bin override that does not exist says so', async () => {
		const report = await doctor([AgentConfig.parse({type: 'opencode', bin: '/nowhere/opencode'})], {env: {PATH: tempDir()}, uid: 1000});
		expect(report.checks.find(check => check.name === 'opencode')).toEqual({
			name: 'opencode',
			ok: false,
			detail: '/nowhere/opencode does not exist or is not executable',
			fix: 'fix "bin" in the agent config, or install it: npm install -g opencode-ai',
		});
	});

	it('as root, claude needs IS_SANDBOX=1', async () => {
		const env = {PATH: `${fixture('bin')}:${nodeDir}`};
		const asRoot = await doctor(configs('claude'), {env, uid: 0});
		expect(asRoot.checks.find(check => check.name === 'claude as root')).toMatchObject({ok: false, fix: expect.stringContaining('IS_SANDBOX=1')});
		const sandboxed = await doctor(configs('claude'), {env: {...env, IS_SANDBOX: '1'}, uid: 0});
		expect(sandboxed.checks.find(check => check.name === 'claude as root')).toBeUndefined();
	});

	it('demo and command agents need no CLI check', async () => {
		const report = await doctor([AgentConfig.parse({type: 'demo'}), AgentConfig.parse({type: 'command', command: 'x'})], {env: {PATH: tempDir()}});
		expect(report.checks.map(check => check.name)).toEqual(['git', 'sandbox', 'containment']);
	});

	it('without per-attempt containment: says that a setsid env -i process can escape, with the fix (a warning, not a failure)', async () => {
		const report = await doctor([], {env: {PATH: tempDir(), PROOFLOOP_CONTAINMENT: 'group'}});
		expect(report.checks.find(check => check.name === 'containment')).toMatchObject({
			ok: false,
			optional: true,
			detail: expect.stringContaining('setsid env -i'),
			fix: expect.stringContaining('Delegate=yes'),
		});
	});

	it('mentions: a flag as a word of its own, not a prefix of a longer one', () => {
		expect(mentions('  -y, --yolo   Automatically accept', '--yolo')).toBe(true);
		expect(mentions('--yolo-mode', '--yolo')).toBe(false);
		expect(mentions('--no-yolo', '--yolo')).toBe(false);
		expect(mentions('--model=<m>', '--model')).toBe(true);
	});
});
