/**
 * The built-in demo engine as an adapter. It runs as a real child process (so
 * the runner, the log, timeouts and kills are exercised exactly as with a real
 * CLI) and speaks Claude's stream-json, so it is read by the Claude parser.
 */
import {existsSync, readFileSync} from 'node:fs';
import path from 'node:path';
import {fileURLToPath} from 'node:url';
import type {AgentAdapter, AgentCommand, AttemptInput, StreamParser} from '../agents/adapter.js';
import {ClaudeStreamParser} from '../agents/claude-stream.js';

/** Walks up from `start` to the directory whose package.json is named `name`. */
export function findPackageRoot(start: string, name = 'proofloop'): string | undefined {
	let dir = start;
	for (;;) {
		const manifest = path.join(dir, 'package.json');
		if (existsSync(manifest)) {
			try {
				if ((JSON.parse(readFileSync(manifest, 'utf8')) as {name?: unknown}).name === name) return dir;
			} catch {
				// An unreadable package.json on the way up is not ours; keep going.
			}
		}
		const parent = path.dirname(dir);
		if (parent === dir) return undefined;
		dir = parent;
	}
}

/**
 * The engine's JavaScript. Built, it sits next to this file. Run from the TS
 * sources (vitest), there is only engine.ts, which node cannot run, so
 * we use the build in dist/.
 */
export function demoEnginePath(): string {
	const sibling = fileURLToPath(new URL('./engine.js', import.meta.url));
	if (existsSync(sibling)) return sibling;
	const root = findPackageRoot(path.dirname(fileURLToPath(import.meta.url)));
	const built = root && path.join(root, 'dist', 'source', 'demo', 'engine.js');
	if (built && existsSync(built)) return built;
	throw new Error(`the demo engine is not built (looked for ${sibling}${built ? ` and ${built}` : ''}): run \`npm run build\``);
}

export class DemoAdapter implements AgentAdapter {
	readonly name = 'demo';

	command(input: AttemptInput): AgentCommand {
		return {
			file: process.execPath,
			args: [demoEnginePath(), '--prompt-file', input.promptFile],
			// Set here too, so the demo follows its attempt filter whatever
			// environment the caller builds.
			env: {PROOFLOOP_TICKET: input.ticketId, PROOFLOOP_ATTEMPT: String(input.attempt)},
		};
	}

	parser(): StreamParser {
		return new ClaudeStreamParser();
	}
}
