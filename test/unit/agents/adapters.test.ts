/**
 * The command line each CLI adapter builds: the full-autonomy flags (including
 * the ones whose absence degrades silently), the model, extra args, the prompt
 * passed intact as argv (no shell), and nothing read from stdin.
 */
import {writeFileSync} from 'node:fs';
import path from 'node:path';
import {describe, expect, it} from 'vitest';
import type {AgentAdapter} from '../../../source/agents/adapter.js';
import {claude as claudeCli} from '../../../source/agents/claude.js';
import {PROMPT_ARG_MAX_BYTES} from '../../../source/agents/cli-adapter.js';
import {codex as codexCli} from '../../../source/agents/codex.js';
import {copilot as copilotCli} from '../../../source/agents/copilot.js';
import {gemini as geminiCli} from '../../../source/agents/gemini.js';
import {opencode as opencodeCli} from '../../../source/agents/opencode.js';
import {AgentConfig} from '../../../source/agents/config.js';
import {createAdapter} from '../../../source/agents/registry.js';
import {attemptInput, tempDir} from './helpers.js';

/** Starts with "-" (an option, if passed carelessly), and holds quotes, $( ), newlines, doubled spaces. */
const PROMPT = `---\nid: T-1\n---\nSay "hi" and don't run $(rm -rf /) or \`x\`.\n\n  Indented,  two  spaces.\tTab.\n`;

function promptFile(text = PROMPT): {file: string; worktree: string} {
	const worktree = tempDir();
	const file = path.join(worktree, 'prompt.md');
	writeFileSync(file, text);
	return {file, worktree};
}

const build = (adapter: AgentAdapter, text = PROMPT, model?: string) => {
	const {file, worktree} = promptFile(text);
	return adapter.command(attemptInput(worktree, {promptFile: file, ...(model ? {model} : {})}));
};

describe('the claude adapter', () => {
	it('claude -p stream-json --verbose --dangerously-skip-permissions, model, extra args, then -- and the prompt', () => {
		const command = build(claudeCli.adapter({model: 'opus', args: ['--max-turns', '40']}));
		expect(command).toEqual({
			file: 'claude',
			args: ['-p', '--output-format', 'stream-json', '--verbose', '--dangerously-skip-permissions', '--model', 'opus', '--max-turns', '40', '--', PROMPT],
		});
	});

	it("the attempt's model wins; no model means no --model; bin overrides the executable", () => {
		expect(build(claudeCli.adapter({model: 'opus'}), PROMPT, 'sonnet').args).toEqual(expect.arrayContaining(['--model', 'sonnet']));
		expect(build(claudeCli.adapter({model: 'opus'}), PROMPT, 'sonnet').args).not.toContain('opus');
		const bare = build(claudeCli.adapter({bin: '/opt/claude/bin/claude'}));
		expect(bare.file).toBe('/opt/claude/bin/claude');
		expect(bare.args).not.toContain('--model');
	});
});

describe('the codex adapter', () => {
	it('codex exec --json --dangerously-bypass-approvals-and-sandbox --skip-git-repo-check, model, extra args, -- prompt', () => {
		const command = build(codexCli.adapter({model: 'gpt-5.1-codex', args: ['-c', 'model_reasoning_effort="high"']}));
		expect(command).toEqual({
			file: 'codex',
			args: [
				'exec',
				'--json',
				'--dangerously-bypass-approvals-and-sandbox',
				'--skip-git-repo-check',
				'--model',
				'gpt-5.1-codex',
				'-c',
				'model_reasoning_effort="high"',
				'--',
				PROMPT,
			],
		});
	});

	it('never the removed --full-auto, nor -a (not accepted by exec), nor a read-only default', () => {
		const {args} = build(codexCli.adapter({}));
		for (const gone of ['--full-auto', '-a', '--ask-for-approval', '-s', '--sandbox']) expect(args).not.toContain(gone);
		// A prompt that is a subcommand name stays a prompt.
		expect(build(codexCli.adapter({}), 'resume').args.slice(-2)).toEqual(['--', 'resume']);
	});
});

describe('the gemini adapter', () => {
	it('--yolo AND --skip-trust (else yolo is silently dropped), the trust env too, the prompt as --prompt=', () => {
		const command = build(geminiCli.adapter({model: 'gemini-2.5-pro', args: ['--include-directories', '../shared']}));
		expect(command).toEqual({
			file: 'gemini',
			args: [
				'--output-format',
				'stream-json',
				'--yolo',
				'--skip-trust',
				'--model',
				'gemini-2.5-pro',
				'--include-directories',
				'../shared',
				`--prompt=${PROMPT}`,
			],
			env: {GEMINI_CLI_TRUST_WORKSPACE: 'true'},
		});
	});
});

describe('the opencode adapter', () => {
	it('opencode run --format json --auto, model, extra args, then -- and the prompt one word per argument', () => {
		const command = build(opencodeCli.adapter({model: 'anthropic/claude-sonnet-4-5', args: ['--variant', 'high']}));
		const separator = command.args.indexOf('--');
		expect(command.file).toBe('opencode');
		expect(command.args.slice(0, separator)).toEqual(['run', '--format', 'json', '--auto', '--model', 'anthropic/claude-sonnet-4-5', '--variant', 'high']);
		expect(command.env).toEqual({OPENCODE_DISABLE_AUTOUPDATE: '1'});
		// opencode quotes any argument holding a space; none does, and its join is the prompt.
		const words = command.args.slice(separator + 1);
		expect(words.some(word => word.includes(' '))).toBe(false);
		expect(words.join(' ')).toBe(PROMPT);
	});

	it("a word that reads as a number keeps an invisible word joiner, so opencode's parser leaves it a string (else it dies before asking)", () => {
		const command = build(opencodeCli.adapter({}), 'Attempt 1 of 3: see T-2, -4 0x1f 2.5 and 1e3 (not 3rd or v2)');
		const words = command.args.slice(command.args.indexOf('--') + 1);
		const J = '\u2060';
		expect(words).toEqual(['Attempt', `1${J}`, 'of', '3:', 'see', 'T-2,', `-4${J}`, `0x1f${J}`, `2.5${J}`, 'and', `1e3${J}`, '(not', '3rd', 'or', 'v2)']);
	});
});

describe('the copilot adapter', () => {
	it('copilot --output-format json --allow-all (else every tool is denied, exit 0), no auto-update, the prompt as --prompt=', () => {
		const command = build(copilotCli.adapter({model: 'gpt-4.1', args: ['--add-dir', '../shared']}));
		expect(command).toEqual({
			file: 'copilot',
			args: ['--output-format', 'json', '--allow-all', '--no-auto-update', '--model', 'gpt-4.1', '--add-dir', '../shared', `--prompt=${PROMPT}`],
			env: {COPILOT_AUTO_UPDATE: 'false'},
		});
	});
});

describe('every CLI adapter', () => {
	const adapters = [claudeCli.adapter({}), codexCli.adapter({}), geminiCli.adapter({}), opencodeCli.adapter({}), copilotCli.adapter({})];

	it('never reads stdin: the prompt is in argv, no "-" prompt, no stdin input format', () => {
		for (const adapter of adapters) {
			const {args} = build(adapter);
			const joined = args.join(' ');
			expect(joined, adapter.name).toContain('Say "hi" and don\'t run $(rm -rf /)');
			expect(args.at(-1), adapter.name).not.toBe('-');
			expect(args, adapter.name).not.toContain('--input-format');
		}
	});

	it('a prompt too long for argv (or holding NUL) becomes a pointer to the prompt file', () => {
		for (const adapter of adapters) {
			for (const text of ['x'.repeat(PROMPT_ARG_MAX_BYTES + 1), 'a\0b']) {
				const {file, worktree} = promptFile(text);
				const {args} = adapter.command(attemptInput(worktree, {promptFile: file}));
				const joined = args.join(' ');
				expect(joined, adapter.name).toContain(`Your full instructions are in the file ${file}`);
				expect(Buffer.byteLength(joined), adapter.name).toBeLessThan(2000);
			}
		}
		// Just under the limit still goes whole.
		const {args} = build(claudeCli.adapter({}), 'y'.repeat(PROMPT_ARG_MAX_BYTES));
		expect(args.at(-1)).toHaveLength(PROMPT_ARG_MAX_BYTES);
	});

	it('an unreadable prompt file is an error naming it', () => {
		for (const adapter of adapters) {
			const worktree = tempDir();
			expect(() => adapter.command(attemptInput(worktree, {promptFile: path.join(worktree, 'missing.md')}))).toThrow(
				/cannot read the prompt file .*missing\.md/,
			);
		}
	});
});

describe('an engine profile: model and effort, each CLI its own way', () => {
	// What `"engines": {"x": {"type": ..., "model": ..., "effort": ...}}` makes of a profile, parsed as the config is.
	const argvOf = (config: Record<string, unknown>) => build(createAdapter(AgentConfig.parse(config))).args;
	const tail = ['--', PROMPT];

	it('claude: --model and --effort', () => {
		expect(argvOf({type: 'claude', model: 'opus', effort: 'high'})).toEqual([
			'-p',
			'--output-format',
			'stream-json',
			'--verbose',
			'--dangerously-skip-permissions',
			'--model',
			'opus',
			'--effort',
			'high',
			...tail,
		]);
	});

	it('codex: --model, and the effort as its config value model_reasoning_effort (a TOML string)', () => {
		expect(argvOf({type: 'codex', model: 'gpt-5.5', effort: 'low'})).toEqual([
			'exec',
			'--json',
			'--dangerously-bypass-approvals-and-sandbox',
			'--skip-git-repo-check',
			'--model',
			'gpt-5.5',
			'-c',
			'model_reasoning_effort="low"',
			...tail,
		]);
	});

	it('opencode: --model provider/model and --variant', () => {
		const args = argvOf({type: 'opencode', model: 'anthropic/claude-sonnet-4-5', effort: 'max'});
		expect(args.slice(0, 8)).toEqual(['run', '--format', 'json', '--auto', '--model', 'anthropic/claude-sonnet-4-5', '--variant', 'max']);
	});

	it('gemini and copilot: the model; an effort is refused by the config (they have no such setting)', () => {
		expect(argvOf({type: 'gemini', model: 'gemini-2.5-pro'}).slice(0, 6)).toEqual([
			'--output-format',
			'stream-json',
			'--yolo',
			'--skip-trust',
			'--model',
			'gemini-2.5-pro',
		]);
		expect(argvOf({type: 'copilot', model: 'gpt-4.1'}).slice(0, 6)).toEqual([
			'--output-format',
			'json',
			'--allow-all',
			'--no-auto-update',
			'--model',
			'gpt-4.1',
		]);
		expect(AgentConfig.safeParse({type: 'gemini', effort: 'high'}).success).toBe(false);
		expect(AgentConfig.safeParse({type: 'copilot', effort: 'high'}).success).toBe(false);
	});

	it("a level outside the CLI's own list, or one that starts with '-', is refused", () => {
		expect(AgentConfig.safeParse({type: 'claude', effort: 'huge'}).success).toBe(false);
		expect(AgentConfig.safeParse({type: 'codex', effort: 'max'}).success).toBe(false);
		expect(AgentConfig.safeParse({type: 'opencode', effort: '--yolo'}).success).toBe(false);
	});

	it('a command agent: {model} and {effort} in its command line, PROOFLOOP_MODEL and PROOFLOOP_EFFORT in its environment', () => {
		const command = build(createAdapter(AgentConfig.parse({type: 'command', command: 'agent --model {model} --effort {effort}', model: 'm', effort: 'deep'})));
		expect(command.args).toEqual(['-c', "agent --model 'm' --effort 'deep'"]);
		expect(command.env).toMatchObject({PROOFLOOP_MODEL: 'm', PROOFLOOP_EFFORT: 'deep'});
	});
});
