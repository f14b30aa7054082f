/**
 * OpenAI Codex CLI, headless (flags verified against codex 0.169.0, see
 * /work/shared/agent-clis.md §3):
 *
 *   codex exec --json --dangerously-bypass-approvals-and-sandbox --skip-git-repo-check
 *              [--model M] [extra args] -- <prompt>
 *
 * - `--full-auto` was removed (exit 2), and `-a/--ask-for-approval` is not
 *   accepted by `exec`. Plain `exec` runs read-only: the agent cannot write.
 * - `--dangerously-bypass-approvals-and-sandbox`, not `-s workspace-write`:
 *   the workspace sandbox needs bwrap and a CODEX_HOME outside /tmp, and when
 *   it fails only the model sees it (every command fails, no command item in
 *   the stream, the run "succeeds"). It also has no network (npm install).
 *   The worktree and proofloop's own sandbox are the isolation.
 * - `--skip-git-repo-check`: outside what codex counts as a trusted git repo it
 *   refuses to start (stderr only, exit 1).
 * - The prompt is the positional argument after `--` (a prompt "resume" or
 *   "-x" stays a prompt). stdin stays closed: with an open pipe codex blocks
 *   until EOF. With the network down codex never exits: the runner's timeout
 *   ends it.
 */
import type {AgentAdapter, AgentCommand, AttemptInput, StreamParser} from './adapter.js';
import {modelFor, promptText, type CliAgentOptions} from './cli-adapter.js';
import {CodexStreamParser} from './codex-stream.js';

/** Checked in `codex exec --help`: the flags live on the subcommand. */
export const CODEX_FLAGS = ['--json', '--dangerously-bypass-approvals-and-sandbox', '--skip-git-repo-check', '--model'] as const;

export class CodexAdapter implements AgentAdapter {
	readonly name = 'codex';

	constructor(private readonly options: CliAgentOptions = {}) {}

	command(input: AttemptInput): AgentCommand {
		const model = modelFor(input.model, this.options.model);
		return {
			file: this.options.bin ?? 'codex',
			args: [
				'exec',
				'--json',
				'--dangerously-bypass-approvals-and-sandbox',
				'--skip-git-repo-check',
				...(model ? ['--model', model] : []),
				...(this.options.args ?? []),
				'--',
				promptText(input.promptFile),
			],
		};
	}

	parser(): StreamParser {
		return new CodexStreamParser();
	}
}
