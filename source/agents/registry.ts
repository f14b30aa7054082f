/** Config -> adapter. One case per member of the AgentConfig union. */
import type {AgentAdapter} from './adapter.js';
import {ClaudeAdapter} from './claude.js';
import type {CliAgentOptions} from './cli-adapter.js';
import {CodexAdapter} from './codex.js';
import {CommandAdapter} from './command.js';
import type {AgentConfig} from './config.js';
import {DemoAdapter} from './demo.js';
import {GeminiAdapter} from './gemini.js';
import {OpencodeAdapter} from './opencode.js';

const cliOptions = (config: {model?: string | undefined; args?: string[] | undefined; bin?: string | undefined}): CliAgentOptions => ({
	...(config.model === undefined ? {} : {model: config.model}),
	...(config.args === undefined ? {} : {args: config.args}),
	...(config.bin === undefined ? {} : {bin: config.bin}),
});

export function createAdapter(config: AgentConfig): AgentAdapter {
	switch (config.type) {
		case 'demo':
			return new DemoAdapter();
		case 'command':
			return new CommandAdapter({command: config.command, output: config.output, model: config.model});
		case 'claude':
			return new ClaudeAdapter(cliOptions(config));
		case 'codex':
			return new CodexAdapter(cliOptions(config));
		case 'gemini':
			return new GeminiAdapter(cliOptions(config));
		case 'opencode':
			return new OpencodeAdapter(cliOptions(config));
		default: {
			// A new union member without a case here fails to compile.
			const unknown: never = config;
			throw new Error(`unknown agent type: ${JSON.stringify(unknown)}`);
		}
	}
}
