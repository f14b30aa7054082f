/**
 * GitHub Copilot CLI, headless (flags verified against copilot 1.0.102;
 * recorded runs in test/fixtures/agents/copilot/):
 *
 *   COPILOT_AUTO_UPDATE=false copilot --output-format json --allow-all --no-auto-update
 *          [--model M] [extra args] --prompt=<prompt>
 *
 * - `--allow-all` (tools, paths and URLs): without it every tool is denied
 *   ("no interactive user response was available") and the run still exits 0.
 * - The prompt goes as `--prompt=<text>`, so a prompt starting with "-" is not
 *   read as an option. stdin stays closed.
 * - Auto-update is off: a worker must not swap its own binary mid-batch.
 * - Tokens and cost are not in the stream: no usage is reported.
 * - no effort flag is verified for copilot: a config naming one is refused.
 */
import path from 'node:path';
import {defineCli} from './cli-adapter.js';
import {CopilotStreamParser} from './copilot-stream.js';

export const copilot = defineCli({
	name: 'copilot',
	description: 'GitHub Copilot CLI (npm @github/copilot), headless: copilot --output-format json --allow-all --no-auto-update --prompt=<prompt>.',
	modelExample: '"gpt-4.1"',
	flags: ['--output-format', 'json', '--allow-all', '--no-auto-update'],
	prompt: text => [`--prompt=${text}`],
	env: {COPILOT_AUTO_UPDATE: 'false'},
	parser: () => new CopilotStreamParser(),
	homes: (env, home) => [{dir: env['COPILOT_HOME'] || path.join(home, '.copilot'), kind: 'dir'}],
	doctor: {npm: '@github/copilot', helpArgs: ['--help'], flags: ['--prompt', '--output-format', '--allow-all', '--no-auto-update', '--model']},
});
