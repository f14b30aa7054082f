/**
 * Which agent runs the attempts, as written in .proofloop/config.json. A
 * discriminated union on `type`: demo, command, and one member per CLI in
 * registry.ts. Members are strict, like
 * the rest of the config: a typo'd key is an error, not a silently ignored
 * setting.
 */
import {z} from 'zod';
import {CLIS} from './registry.js';

export const DemoAgentConfig = z
	.object({
		type: z.literal('demo'),
	})
	.strict()
	.describe('The built-in demo engine: follows the `demo` recipe in each ticket. No API key, no network.');

export const CommandAgentConfig = z
	.object({
		type: z.literal('command'),
		command: z
			.string()
			.min(1)
			.describe(
				'Run under /bin/sh in the worktree. Placeholders (shell-quoted for you, write them bare): {prompt_file} {ticket} {attempt} {worktree} {model} {effort}; ' +
					'the model and effort are also in PROOFLOOP_MODEL and PROOFLOOP_EFFORT when set.',
			),
		output: z
			.enum(['text', 'claude-stream-json'])
			.optional()
			.describe('How to read stdout. text (default): the exit code decides. claude-stream-json: the result event decides.'),
		model: z.string().min(1).optional().describe('Substituted for {model} when the attempt names none.'),
		effort: z.string().min(1).optional().describe('Substituted for {effort}: a reasoning effort your command passes on as it likes.'),
	})
	.strict()
	.describe('Any CLI, from a command template.');

const cliConfigs = CLIS.map(cli => cli.config);

export const AgentConfig = z.discriminatedUnion('type', [DemoAgentConfig, CommandAgentConfig, ...cliConfigs]);
export type AgentConfig = z.infer<typeof AgentConfig>;

/** Every agent type a config may name (demo, command, claude, ...), from the union itself. */
export const AGENT_TYPES = AgentConfig.options.map(option => option.shape.type.value) as [AgentConfig['type'], ...Array<AgentConfig['type']>];
