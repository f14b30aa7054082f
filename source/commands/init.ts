import {appendFileSync, existsSync, mkdirSync, readFileSync, realpathSync, writeFileSync} from 'node:fs';
import path from 'node:path';
import type {Command} from 'commander';
import {execa} from 'execa';
import type {AgentConfig} from '../agents/config.js';
import {CONFIG_PATH} from '../core/config.js';
import {packageRoot, packageVersion} from '../core/paths.js';
import {InputError} from '../core/start-run.js';
import {reportError} from './errors.js';
import {scaffoldTicket} from '../tracker/scaffold.js';
import {chooseAgent, CLI_AGENT_TYPES, findInstalledAgents, installHint, type FoundAgent} from './init-agent.js';

// .proofloop/sync/: the tracker sync's ETag cache and record of pushes, this machine's own.
export const GITIGNORE_LINES = ['.proofloop/runs/', '.proofloop/worktrees/', '.proofloop/sync/'];

const sampleTicket = (batch: string): string => scaffoldTicket({id: 'T-1', title: 'Describe the first change here', batch});

async function currentBranch(root: string): Promise<string> {
	const head = await execa('git', ['symbolic-ref', '--short', 'HEAD'], {cwd: root, reject: false});
	return head.exitCode === 0 && head.stdout.trim() ? head.stdout.trim() : 'main';
}

/**
 * The config's `$schema`: where an editor finds it wherever proofloop is installed.
 * Installed in this project: the path into its node_modules (relative to the config
 * file); anywhere else (global, npx, a checkout): the published package of this version.
 */
export function schemaReference(root: string, installedAt = packageRoot(), version = packageVersion()): string {
	const local = path.join(root, 'node_modules', 'proofloop');
	const same = (a: string, b: string): boolean => {
		try {
			return realpathSync(a) === realpathSync(b);
		} catch {
			return false;
		}
	};
	if (same(installedAt, local)) return '../node_modules/proofloop/schema/config.schema.json';
	return `https://unpkg.com/proofloop@${version}/schema/config.schema.json`;
}

export type InitResult = {written: string[]; agent?: FoundAgent | {type: AgentConfig['type']; path?: undefined}; found: FoundAgent[]};

/** Scaffold .proofloop/ in the current repo; refuses to overwrite anything. */
export async function initProject(
	cwd: string,
	batch: string,
	opts: {agent?: string; interactive?: boolean; env?: NodeJS.ProcessEnv} = {},
): Promise<InitResult> {
	// Not openRepo: a repo with no commits yet is a fine place to start.
	const top = await execa('git', ['rev-parse', '--show-toplevel'], {cwd, reject: false});
	if (top.exitCode !== 0) throw new InputError(`${cwd} is not inside a git repository\n  fix: git init, then run proofloop init again`);
	const root = top.stdout.trim();
	const configFile = path.join(root, CONFIG_PATH);
	const ticketsDir = path.join(root, '.proofloop', 'tickets');
	if (opts.agent !== undefined && !(INIT_AGENT_TYPES as readonly string[]).includes(opts.agent)) {
		throw new InputError(
			`--agent ${opts.agent}: not an agent proofloop knows\n  fix: use one of ${INIT_AGENT_TYPES.join(', ')} (a "command" agent is written by hand in ` +
				`${CONFIG_PATH})`,
		);
	}
	// Check everything before writing anything.
	for (const target of [configFile, ticketsDir]) {
		if (existsSync(target)) {
			throw new InputError(`refusing to overwrite ${path.relative(root, target)}\n  fix: edit it, or move it aside and run \`proofloop init\` again`);
		}
	}
	const found = await findInstalledAgents(opts.env);
	const agent =
		opts.agent !== undefined
			? (found.find(f => f.type === opts.agent) ?? {type: opts.agent as AgentConfig['type']})
			: await chooseAgent(found, {interactive: opts.interactive ?? false});
	const config = {
		$schema: schemaReference(root),
		batch,
		base: await currentBranch(root),
		...(agent ? {agent: {type: agent.type}} : {}),
		concurrency: 3,
		attempts: 3,
		checks: ['npm test'],
		verify: [],
	};
	mkdirSync(ticketsDir, {recursive: true});
	writeFileSync(configFile, JSON.stringify(config, null, 2) + '\n', {flag: 'wx'});
	writeFileSync(path.join(ticketsDir, 'T-1.md'), sampleTicket(batch), {flag: 'wx'});
	const gitignore = path.join(root, '.gitignore');
	const present = existsSync(gitignore) ? readFileSync(gitignore, 'utf8').split('\n') : [];
	const missing = GITIGNORE_LINES.filter(line => !present.includes(line));
	if (missing.length > 0) {
		const prefix = present.length > 0 && present.at(-1) !== '' ? '\n' : '';
		appendFileSync(gitignore, `${prefix}# proofloop run state\n${missing.join('\n')}\n`);
	}
	return {written: [CONFIG_PATH, '.proofloop/tickets/T-1.md', ...(missing.length > 0 ? ['.gitignore'] : [])], found, ...(agent ? {agent} : {})};
}

// What `init --agent` may name: the CLIs, and the demo engine on purpose.
const INIT_AGENT_TYPES = [...CLI_AGENT_TYPES, 'demo'] as const;

function agentLines({agent, found}: InitResult): string {
	if (!agent) {
		return (
			`no agent CLI found on PATH (${CLI_AGENT_TYPES.join(', ')}); the config names no agent, and \`proofloop run\` refuses until it does.\n` +
			`install one:\n${installHint()}\n` +
			`then set it in ${CONFIG_PATH}: "agent": {"type": "claude"} (or the one you installed); \`proofloop doctor\` checks it.\n` +
			`to see a run first: \`proofloop demo\` (the built-in demo engine, no agent needed)\n`
		);
	}
	const where = agent.path
		? ` (${agent.path})`
		: agent.type === 'demo'
			? ' (the built-in demo engine)'
			: ' (not found on PATH: install it first, see `proofloop doctor`)';
	const others = found.filter(f => f.type !== agent.type).map(f => f.type);
	return `agent: ${agent.type}${where}${others.length > 0 ? `; also found: ${others.join(', ')} (change "agent" in ${CONFIG_PATH} to use one)` : ''}\n`;
}

export function registerInit(program: Command): void {
	program
		.command('init')
		.description('scaffold .proofloop/ (config with an installed agent CLI, a sample ticket, .gitignore lines) in this git repo')
		.option('--batch <name>', 'the batch name the config selects', 'first')
		.option(
			'--agent <type>',
			`the agent to write into the config (${INIT_AGENT_TYPES.join(', ')}); default: the installed CLI you pick (in a terminal), else the first found`,
		)
		.action(async (opts: {batch: string; agent?: string}) => {
			try {
				const interactive = Boolean(process.stdin.isTTY && process.stdout.isTTY);
				const result = await initProject(process.cwd(), opts.batch, {...(opts.agent === undefined ? {} : {agent: opts.agent}), interactive});
				process.stdout.write(
					`wrote:\n${result.written.map(f => `  ${f}`).join('\n')}\n${agentLines(result)}next: ` +
						`write tickets in .proofloop/tickets/ (\`proofloop ticket new\` scaffolds one), then \`proofloop run\`\n`,
				);
			} catch (error) {
				process.exitCode = reportError(error);
			}
		});
}
