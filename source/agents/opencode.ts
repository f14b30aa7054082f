/**
 * opencode, headless (flags verified against opencode 1.18.33, see
 * /work/shared/agent-clis.md §5):
 *
 *   OPENCODE_DISABLE_AUTOUPDATE=1 opencode run --format json --auto
 *          [--model provider/model] [extra args] -- <prompt, one word per argument>
 *
 * - `--auto`: without it every permission request is auto-rejected (one
 *   non-JSON stdout line) and the run goes on and exits 0.
 * - The prompt: `opencode run` rebuilds its message from argv, wrapping every
 *   argument that contains a space in double quotes and escaping the quotes
 *   inside (packages/opencode/src/cli/cmd/run.ts). One argument holding the
 *   whole prompt would reach the model as `"…\"…\"…"`. Split on single spaces,
 *   no argument contains one, and the join (with " ") is the prompt, newlines
 *   and all. After `--`, so words starting with "-" stay words.
 * - stdin stays closed: opencode reads all of piped stdin before starting.
 * - Auto-update is off: a worker must not swap its own binary mid-batch.
 */
import type {AgentAdapter, AgentCommand, AttemptInput, StreamParser} from './adapter.js';
import {modelFor, promptText, type CliAgentOptions} from './cli-adapter.js';
import {OpencodeStreamParser} from './opencode-stream.js';

/** Checked in `opencode run --help`. */
export const OPENCODE_FLAGS = ['--format', '--auto', '--model'] as const;

export class OpencodeAdapter implements AgentAdapter {
	readonly name = 'opencode';

	constructor(private readonly options: CliAgentOptions = {}) {}

	command(input: AttemptInput): AgentCommand {
		const model = modelFor(input.model, this.options.model);
		return {
			file: this.options.bin ?? 'opencode',
			args: [
				'run',
				'--format',
				'json',
				'--auto',
				...(model ? ['--model', model] : []),
				...(this.options.args ?? []),
				'--',
				...promptText(input.promptFile).split(' '),
			],
			env: {OPENCODE_DISABLE_AUTOUPDATE: '1'},
		};
	}

	parser(): StreamParser {
		return new OpencodeStreamParser();
	}
}
