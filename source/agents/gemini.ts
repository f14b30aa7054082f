/**
 * Gemini CLI, headless (flags verified against gemini-cli 0.61.0, see
 * /work/shared/agent-clis.md §4):
 *
 *   GEMINI_CLI_TRUST_WORKSPACE=true gemini --output-format stream-json --yolo --skip-trust
 *          [--model M] [extra args] --prompt=<prompt>
 *
 * - `--yolo` alone is not enough: in a folder gemini does not trust it is
 *   silently downgraded to "default" (one stderr line) and the agent cannot
 *   edit. `--skip-trust` trusts the worktree for this session; the env var is
 *   the documented equivalent, set too in case a version drops the flag.
 * - The prompt goes as `--prompt=<text>`: yargs would not take a value that
 *   starts with "-" after a separate `-p`. stdin stays closed (gemini appends
 *   stdin content to the prompt).
 */
import type {AgentAdapter, AgentCommand, AttemptInput, StreamParser} from './adapter.js';
import {modelFor, promptText, type CliAgentOptions} from './cli-adapter.js';
import {GeminiStreamParser} from './gemini-stream.js';

export const GEMINI_FLAGS = ['--prompt', '--output-format', '--yolo', '--skip-trust', '--model'] as const;

export class GeminiAdapter implements AgentAdapter {
	readonly name = 'gemini';

	constructor(private readonly options: CliAgentOptions = {}) {}

	command(input: AttemptInput): AgentCommand {
		const model = modelFor(input.model, this.options.model);
		return {
			file: this.options.bin ?? 'gemini',
			args: [
				'--output-format',
				'stream-json',
				'--yolo',
				'--skip-trust',
				...(model ? ['--model', model] : []),
				...(this.options.args ?? []),
				`--prompt=${promptText(input.promptFile)}`,
			],
			env: {GEMINI_CLI_TRUST_WORKSPACE: 'true'},
		};
	}

	parser(): StreamParser {
		return new GeminiStreamParser();
	}
}
