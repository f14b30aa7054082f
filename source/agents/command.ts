/**
 * Any CLI, from a command template in the project config, e.g.
 * `my-agent --prompt-file {prompt_file} --model {model}`. The rendered line
 * runs under /bin/sh, so a user can use pipes and redirects; every placeholder
 * value is shell-quoted, so a path with spaces or quotes cannot break out.
 * Write placeholders bare: `"{worktree}"` would put the quotes in the value.
 */
import type {AgentAdapter, AgentCommand, AttemptInput, StreamParser} from './adapter.js';
import {ClaudeStreamParser} from './claude-stream.js';
import {TextStreamParser} from './text-stream.js';

export type CommandOutput = 'text' | 'claude-stream-json';

export type CommandAdapterOptions = {
	command: string;
	/** How to read stdout. Default text: each line is shown, the exit code decides. */
	output?: CommandOutput;
	/** Used for {model} when the attempt names none. */
	model?: string | undefined;
	/** Used for {effort}. */
	effort?: string | undefined;
};

/** POSIX single quotes: everything literal; a quote is closed, escaped, reopened. */
export function shellQuote(value: string): string {
	return `'${value.replaceAll("'", `'\\''`)}'`;
}

const placeholders = ['prompt_file', 'ticket', 'attempt', 'worktree', 'model', 'effort'] as const;
type Placeholder = (typeof placeholders)[number];

/**
 * Only the known names are replaced: other braces (`${HOME}`, `{a,b}`) are the
 * shell's and stay as written.
 */
export function renderCommand(template: string, values: Record<Placeholder, string>): string {
	const pattern = new RegExp(`\\{(${placeholders.join('|')})\\}`, 'g');
	return template.replace(pattern, (_match, name: Placeholder) => shellQuote(values[name]));
}

export class CommandAdapter implements AgentAdapter {
	readonly name = 'command';

	constructor(private readonly options: CommandAdapterOptions) {
		if (options.command.trim() === '') throw new Error('agent command is empty');
	}

	command(input: AttemptInput): AgentCommand {
		// The attempt's choice (e.g. a reviewer model) wins over the default.
		const model = input.model ?? this.options.model ?? '';
		const effort = this.options.effort ?? '';
		const rendered = renderCommand(this.options.command, {
			prompt_file: input.promptFile,
			ticket: input.ticketId,
			attempt: String(input.attempt),
			worktree: input.worktree,
			model,
			effort,
		});
		return {
			file: '/bin/sh',
			args: ['-c', rendered],
			// The same facts as env, for scripts that would rather not parse argv.
			env: {
				PROOFLOOP_TICKET: input.ticketId,
				PROOFLOOP_ATTEMPT: String(input.attempt),
				PROOFLOOP_PROMPT_FILE: input.promptFile,
				...(model ? {PROOFLOOP_MODEL: model} : {}),
				...(effort ? {PROOFLOOP_EFFORT: effort} : {}),
			},
		};
	}

	parser(): StreamParser {
		return this.options.output === 'claude-stream-json' ? new ClaudeStreamParser() : new TextStreamParser();
	}
}
