/**
 * Which agent runs the attempts, as written in .proofloop/config.json. A
 * discriminated union on `type`: a new CLI (claude, codex, gemini, ...) is one
 * more member here and one more case in registry.ts. Members are strict, like
 * the rest of the config: a typo'd key is an error, not a silently ignored
 * setting.
 */
import {z} from 'zod';

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
			.describe('Run under /bin/sh in the worktree. Placeholders (shell-quoted for you, write them bare): {prompt_file} {ticket} {attempt} {worktree} {model}.'),
		output: z
			.enum(['text', 'claude-stream-json'])
			.optional()
			.describe('How to read stdout. text (default): the exit code decides. claude-stream-json: the result event decides.'),
		model: z.string().min(1).optional().describe('Substituted for {model} when the attempt names none.'),
	})
	.strict()
	.describe('Any CLI, from a command template.');

/** The fields every coding-agent CLI member has; only `type` and the texts differ. */
function cliAgent<T extends string>(type: T, what: string, modelExample: string, executable: string) {
	return z
		.object({
			type: z.literal(type),
			model: z
				.string()
				.min(1)
				.refine(model => !model.startsWith('-'), 'a model name cannot start with "-"')
				.optional()
				.describe(`The model, passed as --model (e.g. ${modelExample}). Unset: the CLI's own default. An attempt that names a model (the reviewer's) wins.`),
			args: z
				.array(z.string())
				.optional()
				.describe('Extra arguments, appended after proofloop\'s own flags and before the prompt.'),
			bin: z
				.string()
				.min(1)
				.optional()
				.describe(`The executable to run: an absolute path, or a name looked up on PATH. Default: ${executable}.`),
		})
		.strict()
		.describe(what);
}

export const ClaudeAgentConfig = cliAgent(
	'claude',
	'Claude Code (npm @anthropic-ai/claude-code), headless: claude -p --output-format stream-json --verbose --dangerously-skip-permissions.',
	'"sonnet", "opus" or a full model id',
	'claude',
);

export const CodexAgentConfig = cliAgent(
	'codex',
	'OpenAI Codex CLI (npm @openai/codex), headless: codex exec --json --dangerously-bypass-approvals-and-sandbox --skip-git-repo-check.',
	'"gpt-5.5"',
	'codex',
);

export const GeminiAgentConfig = cliAgent(
	'gemini',
	'Gemini CLI (npm @google/gemini-cli), headless: gemini --output-format stream-json --yolo --skip-trust --prompt=<prompt>.',
	'"gemini-2.5-pro"',
	'gemini',
);

export const OpencodeAgentConfig = cliAgent(
	'opencode',
	'opencode (npm opencode-ai), headless: opencode run --format json --auto.',
	'"anthropic/claude-sonnet-4-5", in the form provider/model',
	'opencode',
);

export const AgentConfig = z.discriminatedUnion('type', [
	DemoAgentConfig,
	CommandAgentConfig,
	ClaudeAgentConfig,
	CodexAgentConfig,
	GeminiAgentConfig,
	OpencodeAgentConfig,
]);
export type AgentConfig = z.infer<typeof AgentConfig>;

/** Every agent type a config may name (demo, command, claude, ...), from the union itself. */
export const AGENT_TYPES = AgentConfig.options.map(option => option.shape.type.value) as [AgentConfig['type'], ...Array<AgentConfig['type']>];
