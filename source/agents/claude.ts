/**
 * Claude Code, headless (flags verified against claude 2.1.330; recorded runs
 * in test/fixtures/agents/claude/):
 *
 *   claude -p --output-format stream-json --verbose --dangerously-skip-permissions
 *          [--model M] [--effort E] [extra args] -- <prompt>
 *
 * - `--verbose` is required: stream-json without it exits 1.
 * - `--dangerously-skip-permissions` (= --permission-mode bypassPermissions):
 *   without it every tool that would prompt is denied in -p mode and the run
 *   still "succeeds" (the denials show only in `permission_denials`). Claude
 *   refuses it as root unless IS_SANDBOX=1 (stderr only, exit 1).
 * - `--effort low|medium|high|xhigh|max`: the session's effort level (claude --help).
 * - The prompt is the positional argument, after `--` so a prompt starting
 *   with "-" is not read as an option. stdin stays closed (with an open pipe
 *   claude waits 3 s for it).
 */
import path from 'node:path';
import {ClaudeStreamParser} from './claude-stream.js';
import {defineCli, xdgDir} from './cli-adapter.js';

export const claude = defineCli({
	name: 'claude',
	description: 'Claude Code (npm @anthropic-ai/claude-code), headless: claude -p --output-format stream-json --verbose --dangerously-skip-permissions.',
	modelExample: '"sonnet", "opus" or a full model id',
	flags: ['-p', '--output-format', 'stream-json', '--verbose', '--dangerously-skip-permissions'],
	effort: {args: level => ['--effort', level], levels: ['low', 'medium', 'high', 'xhigh', 'max'], how: '--effort <level>'},
	parser: () => new ClaudeStreamParser(),
	homes: (env, home) => [
		{dir: env['CLAUDE_CONFIG_DIR'] || path.join(home, '.claude'), kind: 'dir'},
		// Its global state file lives beside the directory. Bound as a file it is
		// written in place (its atomic rename falls back to a direct write).
		{dir: path.join(home, '.claude.json'), kind: 'file'},
		{dir: xdgDir(env, home, 'XDG_STATE_HOME', '.local/state', 'claude'), kind: 'dir'},
		{dir: xdgDir(env, home, 'XDG_CACHE_HOME', '.cache', 'claude'), kind: 'dir'},
	],
	doctor: {
		npm: '@anthropic-ai/claude-code',
		helpArgs: ['--help'],
		flags: ['--print', '--output-format', '--verbose', '--dangerously-skip-permissions', '--model'],
	},
});
