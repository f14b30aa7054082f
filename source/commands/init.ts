import {appendFileSync, existsSync, mkdirSync, readFileSync, writeFileSync} from 'node:fs';
import path from 'node:path';
import type {Command} from 'commander';
import {execa} from 'execa';
import {CONFIG_PATH} from '../core/config.js';
import {packageRoot} from '../core/paths.js';
import {InputError} from '../core/start-run.js';
import {reportError} from './errors.js';

export const GITIGNORE_LINES = ['.proofloop/runs/', '.proofloop/worktrees/'];

const sampleTicket = (batch: string) => `---
id: T-1
title: Describe the first change here
status: todo
batch: ${batch}
deps: []          # ids that must be done first, e.g. [T-2]
locks: []         # named capacity-1 resources, e.g. [infra]
checks: ["npm test"]            # the finish line, run in the ticket's worktree
verify: ["npm test"]            # live verification, run on the merged base
---
Scope: what to change and where it lands.

Acceptance: what must be true when it is done.

Test plan: how the checks above prove it.
`;

async function currentBranch(root: string): Promise<string> {
	const head = await execa('git', ['symbolic-ref', '--short', 'HEAD'], {cwd: root, reject: false});
	return head.exitCode === 0 && head.stdout.trim() ? head.stdout.trim() : 'main';
}

/** Scaffold .proofloop/ in the current repo; refuses to overwrite anything. */
export async function initProject(cwd: string, batch: string): Promise<string[]> {
	// Not openRepo: a repo with no commits yet is a fine place to start.
	const top = await execa('git', ['rev-parse', '--show-toplevel'], {cwd, reject: false});
	if (top.exitCode !== 0) throw new InputError(`${cwd} is not inside a git repository\n  fix: git init, then run proofloop init again`);
	const root = top.stdout.trim();
	const configFile = path.join(root, CONFIG_PATH);
	const ticketsDir = path.join(root, '.proofloop', 'tickets');
	// Check everything before writing anything.
	for (const target of [configFile, ticketsDir]) {
		if (existsSync(target)) {
			throw new InputError(`refusing to overwrite ${path.relative(root, target)}\n  fix: edit it, or move it aside and run \`proofloop init\` again`);
		}
	}
	const schema = path.relative(path.dirname(configFile), path.join(packageRoot(), 'schema', 'config.schema.json'));
	const config = {$schema: schema, batch, base: await currentBranch(root), concurrency: 3, attempts: 3, checks: ['npm test'], verify: []};
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
	return [CONFIG_PATH, '.proofloop/tickets/T-1.md', ...(missing.length > 0 ? ['.gitignore'] : [])];
}

export function registerInit(program: Command): void {
	program
		.command('init')
		.description('scaffold .proofloop/ (config, tickets dir, a sample ticket, .gitignore lines) in this git repo')
		.option('--batch <name>', 'the batch name the config selects', 'first')
		.action(async (opts: {batch: string}) => {
			try {
				const written = await initProject(process.cwd(), opts.batch);
				process.stdout.write(`wrote:\n${written.map(f => `  ${f}`).join('\n')}\nnext: write tickets in .proofloop/tickets/, then \`proofloop run\`\n`);
			} catch (error) {
				process.exitCode = reportError(error);
			}
		});
}
