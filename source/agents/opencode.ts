/**
 * opencode, headless (flags verified against opencode 1.18.33; recorded runs
 * in test/fixtures/agents/opencode/):
 *
 *   OPENCODE_DISABLE_AUTOUPDATE=1 opencode run --format json --auto
 *          [--model provider/model] [--variant E] [extra args] -- <prompt, one word per argument>
 *
 * - `--auto`: without it every permission request is auto-rejected (one
 *   non-JSON stdout line) and the run goes on and exits 0.
 * - `--variant`: the model's variant, the provider's own reasoning effort words
 *   (high, max, minimal, ...), so any word is passed.
 * - The prompt: `opencode run` rebuilds its message from argv, wrapping every
 *   argument that contains a space in double quotes and escaping the quotes
 *   inside (packages/opencode/src/cli/cmd/run.ts). One argument holding the
 *   whole prompt would reach the model as `"…\"…\"…"`. Split on single spaces,
 *   no argument contains one, and the join (with " ") is the prompt, newlines
 *   and all. After `--`, so words starting with "-" stay words.
 * - A word that reads as a number ("1", "-2", "0x1f") is made a number by its
 *   argument parser, and `opencode run` then dies on `.includes(" ")` before it
 *   asks the model (every prompt says "attempt 1 of 3"). Such a word gets an
 *   invisible word joiner (U+2060) appended, so it stays a string and reads the same.
 * - stdin stays closed: opencode reads all of piped stdin before starting.
 * - Auto-update is off: a worker must not swap its own binary mid-batch.
 */
import {defineCli, xdgDir} from './cli-adapter.js';
import {OpencodeStreamParser} from './opencode-stream.js';

/** What yargs-parser would turn into a number: decimal, exponent or hex, with a sign. */
const looksNumeric = (word: string): boolean => /^[-+]?(\d+\.?\d*|\.\d+)(e[-+]?\d+)?$/i.test(word) || /^0x[0-9a-f]+$/i.test(word);

export const opencode = defineCli({
	name: 'opencode',
	description: 'opencode (npm opencode-ai), headless: opencode run --format json --auto.',
	modelExample: '"anthropic/claude-sonnet-4-5", in the form provider/model',
	flags: ['run', '--format', 'json', '--auto'],
	effort: {args: level => ['--variant', level], how: "--variant <level> (the provider's own words: high, max, minimal, ...)"},
	prompt: text => ['--', ...text.split(' ').map(word => (looksNumeric(word) ? `${word}\u2060` : word))],
	env: {OPENCODE_DISABLE_AUTOUPDATE: '1'},
	parser: () => new OpencodeStreamParser(),
	homes: (env, home) =>
		[
			['XDG_CONFIG_HOME', '.config'],
			['XDG_DATA_HOME', '.local/share'],
			['XDG_STATE_HOME', '.local/state'],
			['XDG_CACHE_HOME', '.cache'],
		].map(([name, fallback]) => ({dir: xdgDir(env, home, name!, fallback!, 'opencode'), kind: 'dir' as const})),
	// Checked in `opencode run --help`.
	doctor: {npm: 'opencode-ai', helpArgs: ['run', '--help'], flags: ['--format', '--auto', '--model']},
});
