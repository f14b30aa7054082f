/**
 * OpenAI Codex CLI, headless (flags verified against codex 0.169.0; recorded runs
 * in test/fixtures/agents/codex/):
 *
 *   codex exec --json --dangerously-bypass-approvals-and-sandbox --skip-git-repo-check
 *              [--model M] [-c model_reasoning_effort="E"] [extra args] -- <prompt>
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
 * - The reasoning effort is a config value (`-c key=value`, the value read as
 *   TOML, so the quotes make it a string): there is no flag for it.
 * - The prompt is the positional argument after `--` (a prompt "resume" or
 *   "-x" stays a prompt). stdin stays closed: with an open pipe codex blocks
 *   until EOF. With the network down codex never exits: the runner's timeout
 *   ends it.
 */
import path from 'node:path';
import {defineCli} from './cli-adapter.js';
import {CodexStreamParser} from './codex-stream.js';

export const codex = defineCli({
	name: 'codex',
	description: 'OpenAI Codex CLI (npm @openai/codex), headless: codex exec --json --dangerously-bypass-approvals-and-sandbox --skip-git-repo-check.',
	modelExample: '"gpt-5.5"',
	flags: ['exec', '--json', '--dangerously-bypass-approvals-and-sandbox', '--skip-git-repo-check'],
	effort: {
		args: level => ['-c', `model_reasoning_effort="${level}"`],
		levels: ['none', 'minimal', 'low', 'medium', 'high', 'xhigh'],
		how: '-c model_reasoning_effort="<level>"',
	},
	parser: () => new CodexStreamParser(),
	homes: (env, home) => [{dir: env['CODEX_HOME'] || path.join(home, '.codex'), kind: 'dir'}],
	// The flags live on the subcommand: checked in `codex exec --help`.
	doctor: {
		npm: '@openai/codex',
		helpArgs: ['exec', '--help'],
		flags: ['--json', '--dangerously-bypass-approvals-and-sandbox', '--skip-git-repo-check', '--model'],
	},
});
