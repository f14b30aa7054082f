import {createInterface} from 'node:readline';
import {findExecutable} from '../agents/doctor.js';
import {CLIS, type CliType} from '../agents/registry.js';

/**
 * Which coding-agent CLI `proofloop init` writes into the config: the ones
 * installed on PATH, in the registry's order (claude, codex, gemini, ...).
 * The demo engine is never picked here: it runs only when a config names it.
 */
export type CliAgentType = CliType;

export type FoundAgent = {type: CliAgentType; path: string};

export const CLI_AGENT_TYPES: CliAgentType[] = CLIS.map(cli => cli.name);

export async function findInstalledAgents(env: NodeJS.ProcessEnv = process.env): Promise<FoundAgent[]> {
	const clean = Object.fromEntries(Object.entries(env).filter((entry): entry is [string, string] => typeof entry[1] === 'string'));
	const found: FoundAgent[] = [];
	for (const type of CLI_AGENT_TYPES) {
		const where = await findExecutable(type, clean);
		if (where) found.push({type, path: where});
	}
	return found;
}

/** How to install each CLI, one line per agent (npm package names). */
export function installHint(): string {
	return CLIS.map(cli => `  ${cli.name.padEnd(9)} npm install -g ${cli.doctor.npm}`).join('\n');
}

/** In a terminal, ask which one (enter: the first); otherwise the first found. */
export async function chooseAgent(
	found: FoundAgent[],
	io: {interactive: boolean; input?: NodeJS.ReadableStream; output?: NodeJS.WritableStream},
): Promise<FoundAgent | undefined> {
	const [first] = found;
	if (!first || found.length === 1 || !io.interactive) return first;
	const output = io.output ?? process.stdout;
	const rl = createInterface({input: io.input ?? process.stdin, output});
	try {
		output.write(`agent CLIs found on PATH:\n${found.map((agent, i) => `  ${i + 1}) ${agent.type}  (${agent.path})`).join('\n')}\n`);
		const ask = (): void => void output.write(`which one runs the tickets? [1-${found.length}, enter: 1] `);
		ask();
		// The iterator buffers lines typed ahead of the prompt; input that ends (Ctrl+D, a closed pipe) takes the default.
		for await (const said of rl) {
			const answer = said.trim();
			if (answer === '') return first;
			const byNumber = found[Number(answer) - 1];
			const byName = found.find(agent => agent.type === answer);
			if (/^\d+$/.test(answer) && byNumber) return byNumber;
			if (byName) return byName;
			output.write(`  answer a number from 1 to ${found.length} or a name (${found.map(agent => agent.type).join(', ')})\n`);
			ask();
		}
		return first;
	} finally {
		rl.close();
	}
}
