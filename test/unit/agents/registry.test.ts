import {writeFileSync} from 'node:fs';
import path from 'node:path';
import {describe, expect, it} from 'vitest';
import {z} from 'zod';
import {CommandAdapter} from '../../../source/agents/command.js';
import {AgentConfig} from '../../../source/agents/config.js';
import {DemoAdapter} from '../../../source/demo/adapter.js';
import {createAdapter} from '../../../source/agents/registry.js';
import {TextStreamParser} from '../../../source/agents/text-stream.js';
import {ClaudeStreamParser} from '../../../source/agents/claude-stream.js';
import {CliAdapter} from '../../../source/agents/cli-adapter.js';
import {CodexStreamParser} from '../../../source/agents/codex-stream.js';
import {GeminiStreamParser} from '../../../source/agents/gemini-stream.js';
import {OpencodeStreamParser} from '../../../source/agents/opencode-stream.js';
import {attemptInput, tempDir} from './helpers.js';

describe('AgentConfig and createAdapter', () => {
	it('demo -> the demo adapter, read as claude stream-json', () => {
		const adapter = createAdapter(AgentConfig.parse({type: 'demo'}));
		expect(adapter).toBeInstanceOf(DemoAdapter);
		expect(adapter.name).toBe('demo');
		expect(adapter.parser()).toBeInstanceOf(ClaudeStreamParser);
	});

	it('command -> a /bin/sh command with the output format chosen', () => {
		const text = createAdapter(AgentConfig.parse({type: 'command', command: 'agent {ticket}'}));
		expect(text).toBeInstanceOf(CommandAdapter);
		expect(text.parser()).toBeInstanceOf(TextStreamParser);
		expect(text.command(attemptInput('/w', {ticketId: 'T-7'}))).toMatchObject({file: '/bin/sh', args: ['-c', "agent 'T-7'"]});

		const json = createAdapter(AgentConfig.parse({type: 'command', command: 'agent --model {model}', output: 'claude-stream-json', model: 'big'}));
		expect(json.parser()).toBeInstanceOf(ClaudeStreamParser);
		expect(json.command(attemptInput('/w')).args).toEqual(['-c', "agent --model 'big'"]);
		expect(json.command(attemptInput('/w', {model: 'small'})).args).toEqual(['-c', "agent --model 'small'"]);
	});

	it('claude, codex, gemini, opencode -> their adapters and parsers, with model, args and bin', () => {
		const worktree = tempDir();
		const promptFile = path.join(worktree, 'prompt.md');
		writeFileSync(promptFile, 'do it');
		const cases = [
			['claude', ClaudeStreamParser],
			['codex', CodexStreamParser],
			['gemini', GeminiStreamParser],
			['opencode', OpencodeStreamParser],
		] as const;
		for (const [type, Parser] of cases) {
			const adapter = createAdapter(AgentConfig.parse({type, model: 'm-1', args: ['--extra'], bin: `/opt/${type}`}));
			expect(adapter, type).toBeInstanceOf(CliAdapter);
			expect(adapter.name).toBe(type);
			expect(adapter.parser(), type).toBeInstanceOf(Parser);
			const command = adapter.command(attemptInput(worktree, {promptFile}));
			expect(command.file).toBe(`/opt/${type}`);
			expect(command.args).toEqual(expect.arrayContaining(['--model', 'm-1', '--extra']));
			// Minimal config: the CLI's own name and default model.
			const bare = createAdapter(AgentConfig.parse({type})).command(attemptInput(worktree, {promptFile}));
			expect(bare.file).toBe(type);
			expect(bare.args).not.toContain('--model');
		}
	});

	it('the JSON Schema carries the descriptions of the new members', () => {
		const schema = JSON.stringify(z.toJSONSchema(AgentConfig, {io: 'input'}));
		for (const text of [
			'Claude Code (npm @anthropic-ai/claude-code)',
			'OpenAI Codex CLI (npm @openai/codex)',
			'Gemini CLI (npm @google/gemini-cli)',
			'opencode (npm opencode-ai)',
			'Extra arguments, appended',
		]) {
			expect(schema).toContain(text);
		}
	});

	it("rejects unknown types, typo'd keys, an empty command and unknown outputs", () => {
		for (const bad of [
			{type: 'claude-but-not-yet'},
			{type: 'aider'},
			{type: 'demo', model: 'x'},
			{type: 'command', command: 'a', ouptut: 'text'},
			{type: 'command', command: ''},
			{type: 'command', command: 'a', output: 'json'},
			{type: 'claude', modle: 'opus'},
			{type: 'codex', model: ''},
			{type: 'codex', model: '--yolo'},
			{type: 'gemini', args: '--yolo'},
			{type: 'opencode', bin: ''},
			{type: 'opencode', command: 'x'},
			{},
		]) {
			expect(AgentConfig.safeParse(bad).success, JSON.stringify(bad)).toBe(false);
		}
	});
});
