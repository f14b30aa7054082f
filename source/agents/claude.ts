/**
 * Claude Code, headless (flags verified against claude 2.1.330, see
 * /work/shared/agent-clis.md §2):
 *
 *   claude -p --output-format stream-json --verbose --dangerously-skip-permissions
 *          [--model M] [extra args] -- <prompt>
 *
 * - `--verbose` is required: stream-json without it exits 1.
 * - `--dangerously-skip-permissions` (= --permission-mode bypassPermissions):
 *   without it every tool that would prompt is denied in -p mode and the run
 *   still "succeeds" (the denials show only in `permission_denials`). Claude
 *   refuses it as root unless IS_SANDBOX=1 (stderr only, exit 1).
 * - The prompt is the positional argument, after `--` so a prompt starting
 *   with "-" is not read as an option. stdin stays closed (with an open pipe
 *   claude waits 3 s for it).
 */
import type {AgentAdapter, AgentCommand, AttemptInput, StreamParser} from './adapter.js';
import {ClaudeStreamParser} from './claude-stream.js';
import {modelFor, promptText, type CliAgentOptions} from './cli-adapter.js';

export const CLAUDE_FLAGS = ['--print', '--output-format', '--verbose', '--dangerously-skip-permissions', '--model'] as const;

export class ClaudeAdapter implements AgentAdapter {
	readonly name = 'claude';

	constructor(private readonly options: CliAgentOptions = {}) {}

	command(input: AttemptInput): AgentCommand {
		const model = modelFor(input.model, this.options.model);
		return {
			file: this.options.bin ?? 'claude',
			args: [
				'-p',
				'--output-format',
				'stream-json',
				'--verbose',
				'--dangerously-skip-permissions',
				...(model ? ['--model', model] : []),
				...(this.options.args ?? []),
				'--',
				promptText(input.promptFile),
			],
		};
	}

	parser(): StreamParser {
		return new ClaudeStreamParser();
	}
}
