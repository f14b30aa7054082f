/**
 * Every coding-agent CLI proofloop drives, and config -> adapter. A new CLI is
 * one file (its `defineCli` spec) and one line in clis.ts: its config member,
 * adapter, parser, sandbox homes and doctor checks all come from the spec.
 */
import type {AgentAdapter} from './adapter.js';
import type {ConfigHome, Env} from './cli-adapter.js';
import * as clis from './clis.js';
import {CommandAdapter} from './command.js';
import type {AgentConfig} from './config.js';
import {DemoAdapter} from '../demo/adapter.js';

/** In name order (a module namespace's order). */
export const CLIS = Object.values(clis);

export type CliType = (typeof CLIS)[number]['name'];

export const cliNamed = (name: string): (typeof CLIS)[number] | undefined => CLIS.find(cli => cli.name === name);

export function createAdapter(config: AgentConfig): AgentAdapter {
	if (config.type === 'demo') return new DemoAdapter();
	if (config.type === 'command') return new CommandAdapter({command: config.command, output: config.output, model: config.model, effort: config.effort});
	const cli = cliNamed(config.type);
	if (!cli) throw new Error(`unknown agent type: ${JSON.stringify(config)}`);
	return cli.adapter(config);
}

/**
 * The agent's config homes: where its CLI keeps credentials, settings and
 * sessions, which it must be able to write. demo and command have none (a
 * command names its paths in sandboxPaths).
 */
export const configHomes = (agent: string, env: Env): ConfigHome[] => cliNamed(agent)?.configHomes(env) ?? [];
