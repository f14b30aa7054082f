/**
 * One adapter for every coding-agent CLI. A CLI is a `CliSpec` in its own file
 * (claude.ts, codex.ts, ...): its flags, how the prompt goes on the command
 * line, its environment, its parser, its config homes and what `doctor`
 * checks; registry.ts lists them. The process is spawned without a shell (argv
 * goes to execve as is, so quotes, `$(...)` and newlines in a prompt are just
 * text) and with stdin closed.
 */
import {readFileSync} from 'node:fs';
import {homedir} from 'node:os';
import path from 'node:path';
import {z} from 'zod';
import type {AgentAdapter, AgentCommand, AttemptInput, StreamParser} from './adapter.js';

export type CliAgentOptions = {
	/** The model, unless the attempt names one (e.g. the reviewer's). */
	model?: string;
	/** The reasoning effort, passed the CLI's own way (CliSpec.effort). */
	effort?: string;
	/** Extra arguments, appended after ours (before the prompt). */
	args?: string[];
	/** The executable: a path, or a name looked up on the child's PATH. */
	bin?: string;
};

export type Env = Record<string, string | undefined>;

/** A directory (or a single file) a CLI writes: credentials, settings, sessions. */
export type ConfigHome = {dir: string; kind: 'dir' | 'file'};

export type CliSpec<Name extends string = string> = {
	/** The config's `type`, and the executable's usual name. */
	name: Name;
	/** The config schema's description of this member. */
	description: string;
	/** Model names to show in the schema, e.g. '"sonnet"'. */
	modelExample: string;
	/** Our own flags, first; then the model, the effort, the config's extra args and the prompt. */
	flags: readonly string[];
	/** How it takes a model. Default: `--model <name>`. */
	model?: (name: string) => string[];
	/**
	 * How it takes a reasoning effort, and the levels it knows (absent: any word).
	 * Absent: the CLI has no such setting, and a config that names one is refused.
	 */
	effort?: {args: (level: string) => string[]; levels?: readonly [string, ...string[]]; how: string};
	/** The prompt text as arguments. Default: after `--`, so a prompt starting with "-" stays a prompt. */
	prompt?: (text: string) => string[];
	/** Extra environment for this CLI. */
	env?: Record<string, string>;
	parser: () => StreamParser;
	/** Where it keeps credentials, settings and sessions: writable inside the sandbox. */
	homes: (env: Env, home: string) => ConfigHome[];
	/** For `proofloop doctor`: its npm package, where its flags are documented, and which must be there. */
	doctor: {npm: string; helpArgs: string[]; flags: readonly string[]};
};

/**
 * Largest prompt passed on the command line. Linux refuses a single argument
 * over 128 KiB (MAX_ARG_STRLEN) and all of argv plus the environment over
 * ARG_MAX (often 2 MiB), with E2BIG before the CLI even starts.
 */
export const PROMPT_ARG_MAX_BYTES = 100_000;

/**
 * The prompt file's text, to pass as an argument; a prompt too long for argv
 * (or holding a NUL byte, which argv cannot carry) becomes a short one that
 * sends the agent to the file. None of these CLIs has a prompt-file flag, and
 * stdin stays closed (codex and opencode block on an open one).
 */
export function promptText(promptFile: string): string {
	let text: string;
	try {
		text = readFileSync(promptFile, 'utf8');
	} catch (error) {
		throw new Error(`cannot read the prompt file ${promptFile}: ${(error as Error).message}`, {cause: error});
	}
	if (Buffer.byteLength(text) <= PROMPT_ARG_MAX_BYTES && !text.includes('\0')) return text;
	return `Your full instructions are in the file ${promptFile}: it is too long to pass on the command line. Read that whole file first, then follow it exactly.`;
}

export class CliAdapter implements AgentAdapter {
	readonly name: string;

	constructor(
		readonly spec: CliSpec,
		private readonly options: CliAgentOptions = {},
	) {
		this.name = spec.name;
	}

	command(input: AttemptInput): AgentCommand {
		// The attempt's choice (a reviewer's model) wins over the configured default.
		const model = input.model ?? this.options.model;
		const effort = this.options.effort;
		const prompt = promptText(input.promptFile);
		const command: AgentCommand = {
			file: this.options.bin ?? this.spec.name,
			args: [
				...this.spec.flags,
				...(model ? (this.spec.model?.(model) ?? ['--model', model]) : []),
				...(effort && this.spec.effort ? this.spec.effort.args(effort) : []),
				...(this.options.args ?? []),
				...(this.spec.prompt ? this.spec.prompt(prompt) : ['--', prompt]),
			],
		};
		if (this.spec.env) command.env = {...this.spec.env};
		return command;
	}

	parser(): StreamParser {
		return this.spec.parser();
	}
}

const word = (what: string) =>
	z
		.string()
		.min(1)
		.refine(value => !value.startsWith('-'), `${what} cannot start with "-"`);

/** The effort field of a CLI that has the setting: its own levels, or any word. */
function effortSchema(effort: NonNullable<CliSpec['effort']>) {
	const levels = effort.levels ? z.enum(effort.levels) : word('an effort level');
	return levels.optional().describe(`The reasoning effort, passed as ${effort.how}. Unset: the CLI's own default.`);
}

/** The config member of a CLI: `type`, and the fields every CLI takes (effort where the CLI has it). */
function configSchema<Name extends string>(spec: CliSpec<Name>) {
	return z
		.object({
			type: z.literal(spec.name),
			model: word('a model name')
				.optional()
				.describe(
					`The model, passed as ${spec.model ? spec.model('<model>').join(' ') : '--model'} (e.g. ${spec.modelExample}). Unset: the CLI's own default. ` +
						"An attempt that names a model (the reviewer's) wins.",
				),
			...(spec.effort ? {effort: effortSchema(spec.effort)} : {}),
			args: z.array(z.string()).optional().describe("Extra arguments, appended after proofloop's own flags and before the prompt."),
			bin: z.string().min(1).optional().describe(`The executable to run: an absolute path, or a name looked up on PATH. Default: ${spec.name}.`),
		})
		.strict()
		.describe(spec.description);
}

/** A CLI, ready for the registry: its spec, its config schema, and its adapter. */
export function defineCli<Name extends string>(spec: CliSpec<Name>) {
	const config = configSchema(spec);
	return {
		...spec,
		config,
		adapter: (options: Omit<z.infer<typeof config>, 'type'>): AgentAdapter => new CliAdapter(spec, cliOptions(options)),
		/** The config homes, with HOME from the environment (else the user's). */
		configHomes: (env: Env): ConfigHome[] => spec.homes(env, env['HOME'] || homedir()),
	};
}

/** `XDG_<NAME>_HOME`, else its usual place under home, joined with `sub`. */
export const xdgDir = (env: Env, home: string, name: string, fallback: string, sub: string): string => path.join(env[name] || path.join(home, fallback), sub);

// `effort` is in the schema only for a CLI that has the setting, hence unknown here.
const cliOptions = (config: {model?: string | undefined; effort?: unknown; args?: string[] | undefined; bin?: string | undefined}): CliAgentOptions => ({
	...(config.model === undefined ? {} : {model: config.model}),
	...(typeof config.effort === 'string' ? {effort: config.effort} : {}),
	...(config.args === undefined ? {} : {args: config.args}),
	...(config.bin === undefined ? {} : {bin: config.bin}),
});
