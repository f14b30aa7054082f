/**
 * Pins what the agents layer hands the runner, byte for byte: every adapter's
 * argv and env, every recorded sample's events and verdict through every
 * parser (with stderr and several exits), each CLI's config homes and the
 * config schema. A change to any of them shows as a diff of
 * __snapshots__/pinned.json: refactors must leave it untouched.
 */
import {readdirSync, writeFileSync} from 'node:fs';
import path from 'node:path';
import {afterAll, beforeAll, describe, expect, it, vi} from 'vitest';
import {z} from 'zod';
import type {StreamParser} from '../../../source/agents/adapter.js';
import {ClaudeStreamParser} from '../../../source/agents/claude-stream.js';
import {PROMPT_ARG_MAX_BYTES} from '../../../source/agents/cli-adapter.js';
import {AGENT_TYPES, AgentConfig} from '../../../source/agents/config.js';
import {CopilotStreamParser} from '../../../source/agents/copilot-stream.js';
import {QwenStreamParser} from '../../../source/agents/qwen-stream.js';
import {createAdapter} from '../../../source/agents/registry.js';
import {configHomes} from '../../../source/agents/registry.js';
import {TextStreamParser} from '../../../source/agents/text-stream.js';
import {attemptInput, fixtures, sampleLines, tempDir} from './helpers.js';

const CLIS = ['claude', 'codex', 'gemini', 'opencode', 'copilot'] as const;
const parserOf = (type: string): StreamParser => createAdapter(AgentConfig.parse({type})).parser();
const parsers: Record<string, () => StreamParser> = {
	claude: () => parserOf('claude'),
	codex: () => parserOf('codex'),
	gemini: () => parserOf('gemini'),
	opencode: () => parserOf('opencode'),
	demo: () => parserOf('demo'),
	commandJson: () => createAdapter(AgentConfig.parse({type: 'command', command: 'x', output: 'claude-stream-json'})).parser(),
	commandText: () => createAdapter(AgentConfig.parse({type: 'command', command: 'x'})).parser(),
	qwen: () => new QwenStreamParser(),
	copilot: () => new CopilotStreamParser(),
	amp: () => new ClaudeStreamParser({name: 'amp'}),
	cursor: () => new ClaudeStreamParser({name: 'cursor'}),
};
/** Which sample folders each parser is replayed on (its own, and the limits). */
const folders: Record<string, string[]> = {
	claude: ['claude', 'amp', 'cursor', 'limits'],
	codex: ['codex', 'limits'],
	gemini: ['gemini', 'limits'],
	opencode: ['opencode', 'limits'],
	demo: ['claude'],
	commandJson: ['claude'],
	commandText: ['opencode'],
	qwen: ['qwen', 'claude', 'limits'],
	copilot: ['copilot', 'limits'],
	amp: ['amp', 'claude'],
	cursor: ['cursor', 'claude'],
};
const exits = [{exitCode: 0}, {exitCode: 1}, {exitCode: 53}, {exitCode: 173}, {signal: 'SIGTERM'}, {}];
const stderrs: string[][] = [
	[],
	[
		'\u001B[33mApproval mode overridden to "default" because the current folder is not trusted.\u001B[0m',
		'Reached max session turns for this session.',
		'Error: You have exhausted your capacity on this model. Your quota will reset after 2h30m.',
	],
];

function replays(): Record<string, unknown> {
	const out: Record<string, unknown> = {};
	for (const [name, make] of Object.entries(parsers)) {
		for (const folder of folders[name]!) {
			for (const file of readdirSync(path.join(fixtures, folder))
				.filter(f => f.endsWith('.jsonl'))
				.sort()) {
				const lines = sampleLines(file, folder);
				const events = make();
				out[`${name} ${folder}/${file} events`] = lines.flatMap(line => events.line(line));
				for (const [s, stderr] of stderrs.entries()) {
					for (const exit of exits) {
						const parser = make();
						for (const line of lines) parser.line(line);
						for (const line of stderr) parser.stderrLine?.(line);
						out[`${name} ${folder}/${file} stderr${s} ${JSON.stringify(exit)}`] = parser.finish(exit);
					}
				}
			}
		}
	}
	// Non-JSON noise, a permission auto-reject (opencode) and half lines.
	for (const [name, make] of Object.entries(parsers)) {
		const parser = make();
		const lines = ['', 'warning: something', '! permission requested: bash (rm -rf x); auto-rejecting', '{"type":', '[1,2]', '{"type":"result"}'];
		out[`${name} noise events`] = lines.flatMap(line => parser.line(line));
		out[`${name} noise verdict`] = parser.finish({exitCode: 0});
	}
	return out;
}

function commands(): Record<string, unknown> {
	const worktree = tempDir();
	const prompts: Record<string, string> = {
		plain: 'do it',
		tricky: `---\nid: T-1\n---\nSay "hi" and don't run $(rm -rf /).\n\n  Indented,  two  spaces.\tTab.\n`,
		dash: '-x resume',
		long: 'x'.repeat(PROMPT_ARG_MAX_BYTES + 1),
		nul: 'a\0b',
	};
	const configs = [
		...CLIS.flatMap(type => [{type}, {type, model: 'm-1', args: ['--extra', 'two words'], bin: `/opt/${type} bin`}]),
		{type: 'command', command: 'agent --prompt-file {prompt_file} --model {model} {ticket} {attempt} {worktree} ${HOME} {a,b}'},
		{type: 'command', command: 'agent {model}', output: 'claude-stream-json', model: 'big'},
		// Engine profiles: model and effort, each CLI its own way.
		{type: 'claude', model: 'opus', effort: 'max'},
		{type: 'codex', model: 'gpt-5.5', effort: 'xhigh'},
		{type: 'opencode', model: 'anthropic/claude-sonnet-4-5', effort: 'high'},
		{type: 'command', command: 'agent {model} {effort}', model: 'big', effort: 'low'},
		{type: 'demo'},
	];
	const out: Record<string, unknown> = {};
	for (const config of configs) {
		const adapter = createAdapter(AgentConfig.parse(config));
		for (const [name, text] of Object.entries(prompts)) {
			const promptFile = path.join(worktree, `${name}.md`);
			writeFileSync(promptFile, text);
			for (const model of [undefined, 'attempt-model']) {
				const input = attemptInput(worktree, {promptFile, ticketId: 'T-9', attempt: 2, ...(model ? {model} : {})});
				const command = JSON.parse(JSON.stringify(adapter.command(input)).replaceAll(worktree, '<worktree>')) as {file: string; args: string[]};
				// The demo engine's own path is where the build puts it, not part of the contract.
				if (config.type === 'demo') command.args[0] = '<demo engine>';
				out[`${adapter.name} ${JSON.stringify(config)} ${name} model=${model}`] = command;
			}
		}
	}
	return out;
}

function homes(): Record<string, unknown> {
	const envs = [
		{HOME: '/h'},
		{
			HOME: '/h',
			CLAUDE_CONFIG_DIR: '/c',
			CODEX_HOME: '/x',
			GEMINI_CLI_HOME: '/g',
			COPILOT_HOME: '/p',
			XDG_CONFIG_HOME: '/xc',
			XDG_DATA_HOME: '/xd',
			XDG_STATE_HOME: '/xs',
			XDG_CACHE_HOME: '/xk',
		},
	];
	const out: Record<string, unknown> = {};
	for (const agent of [...CLIS, 'demo', 'command']) for (const env of envs) out[`${agent} ${JSON.stringify(env)}`] = configHomes(agent, env);
	return out;
}

describe('the agents layer, pinned', () => {
	beforeAll(() => {
		vi.useFakeTimers({toFake: ['Date']});
		vi.setSystemTime(new Date('2026-03-04T05:06:07Z'));
	});
	afterAll(() => vi.useRealTimers());

	it('argv, env, events, verdicts, config homes and the config schema are as pinned', async () => {
		const pinned = {
			types: AGENT_TYPES,
			schema: z.toJSONSchema(AgentConfig, {io: 'input'}),
			commands: commands(),
			homes: homes(),
			replays: replays(),
			text: new TextStreamParser().finish({exitCode: 3}),
		};
		// One line per entry: small enough to commit, and a change names its entry.
		const text = Object.entries(pinned)
			.flatMap(([part, value]) =>
				typeof value === 'object' && value !== null && !Array.isArray(value) && part !== 'schema'
					? Object.entries(value).map(([key, entry]) => `${part} ${key}: ${JSON.stringify(entry)}`)
					: [`${part}: ${JSON.stringify(value)}`],
			)
			.join('\n');
		await expect(`${text}\n`).toMatchFileSnapshot('./__snapshots__/pinned.txt');
	});
});
