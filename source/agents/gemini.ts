/**
 * Gemini CLI, headless (flags verified against gemini-cli 0.61.0; recorded runs
 * in test/fixtures/agents/gemini/):
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
 * - gemini has no effort flag (thinking is a settings.json matter): a config naming one is refused.
 */
import path from 'node:path';
import {defineCli} from './cli-adapter.js';
import {GeminiStreamParser} from './gemini-stream.js';

export const gemini = defineCli({
	name: 'gemini',
	description: 'Gemini CLI (npm @google/gemini-cli), headless: gemini --output-format stream-json --yolo --skip-trust --prompt=<prompt>.',
	modelExample: '"gemini-2.5-pro"',
	flags: ['--output-format', 'stream-json', '--yolo', '--skip-trust'],
	prompt: text => [`--prompt=${text}`],
	env: {GEMINI_CLI_TRUST_WORKSPACE: 'true'},
	parser: () => new GeminiStreamParser(),
	homes: (env, home) => [{dir: path.join(env['GEMINI_CLI_HOME'] || home, '.gemini'), kind: 'dir'}],
	doctor: {npm: '@google/gemini-cli', helpArgs: ['--help'], flags: ['--prompt', '--output-format', '--yolo', '--skip-trust', '--model']},
});
