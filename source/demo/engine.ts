#!/usr/bin/env node
/**
 * The built-in demo engine: a stand-in for a headless coding agent, so a user
 * can watch proofloop work (and the test suite can run attempts end to end)
 * with no API key and no network. It behaves like `claude -p --output-format
 * stream-json --verbose`: same process model (cwd = worktree, prompt from a
 * file, stdin unused), same output shapes, same exit codes (0, or 1 with an
 * error result).
 *
 * What it "does" is the ticket's `demo` front matter key: a block literal of
 * JSON lines, one action each (see recipe.ts):
 *   {"write": "path", "content": "..."}   {"append": "path", "content": "..."}
 *   {"delete": "path"}   {"say": "text"}   {"sleep_ms": 300}   {"fail": "message"}
 *   {"file": {"title": "...", "body": "...", "blocks": "self"}}   (files discovered work via `proofloop ticket file`)
 * Any action may carry "attempt": 1 or "attempt": [2, 3] to apply only then.
 * Then it commits what changed, like a worker finishing its ticket.
 *
 * Usage: engine.js --prompt-file <path>   (env PROOFLOOP_ATTEMPT, PROOFLOOP_TICKET,
 * PROOFLOOP_DEMO_STEP_MS = pause between steps, default 150, so a watcher sees progress)
 */
import {spawnSync} from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {setTimeout as sleep} from 'node:timers/promises';
import {parseArgs} from 'node:util';
import {demoPlanAnswer} from './plan-recipe.js';
import {DemoFailure, parseRecipe, type Action} from './recipe.js';
import {init, promptRead, result, say, tool} from './stream.js';
import {commitEnv, git, insideWorktree, shq} from './worktree.js';

// Types only (oracle/oracle.d.mts); the module itself is loaded by loadParser().
type Oracle = typeof import('../../oracle/oracle.mjs');

/** The ticket, verbatim, between `<ticket file="…">` and `</ticket>` lines. */
function extractTicket(prompt: string): {file: string; text: string} {
	const lines = prompt.split(/\r?\n/);
	const open = lines.findIndex(line => /^<ticket(\s+file="[^"]*")?\s*>$/.test(line.trim()));
	const close = open === -1 ? -1 : lines.findIndex((line, i) => i > open && line.trim() === '</ticket>');
	if (open === -1 || close === -1) {
		throw new DemoFailure('the prompt has no ticket block (a line `<ticket file="…">`, the ticket, a line `</ticket>`)');
	}
	const file = /file="([^"]*)"/.exec(lines[open]!)?.[1] || 'ticket';
	return {file, text: `${lines.slice(open + 1, close).join('\n')}\n`};
}

/**
 * The oracle's own parser, so the demo reads a ticket exactly as the oracle
 * does. Imported at run time rather than statically: if the build skipped the
 * copy of oracle/ to dist/oracle/, the demo still ends with a result line
 * naming the fix instead of a module-not-found crash with no result.
 */
async function loadParser(): Promise<Oracle['parseFrontMatter']> {
	const url = new URL('../../oracle/oracle.mjs', import.meta.url);
	try {
		const oracle = (await import(url.href)) as Partial<Oracle>;
		if (typeof oracle.parseFrontMatter !== 'function') throw new Error('it has no parseFrontMatter export');
		return oracle.parseFrontMatter;
	} catch (error) {
		throw new DemoFailure(`cannot load the ticket parser from ${url.pathname} (${(error as Error).message}); run \`npm run build\``);
	}
}

async function main(): Promise<void> {
	const cwd = fs.realpathSync(process.cwd());
	init(cwd);

	const {values} = parseArgs({args: process.argv.slice(2), options: {'prompt-file': {type: 'string'}}, strict: false});
	const promptFile = values['prompt-file'];
	if (typeof promptFile !== 'string' || promptFile === '') throw new DemoFailure('usage: engine.js --prompt-file <path>');
	let prompt: string;
	try {
		prompt = fs.readFileSync(promptFile, 'utf8');
	} catch (error) {
		throw new DemoFailure(`cannot read the prompt file: ${(error as Error).message}`);
	}
	promptRead(prompt);
	// A plan step (`proofloop demo --plan`): the answer comes from the demo's plan recipe, not a ticket.
	const step = process.env['PROOFLOOP_PLAN_STEP'];
	if (step) {
		let answer: string;
		try {
			answer = demoPlanAnswer(cwd, step);
		} catch (error) {
			throw new DemoFailure((error as Error).message);
		}
		say(answer);
		result({subtype: 'success', is_error: false, result: answer, terminal_reason: 'completed'});
		return;
	}

	const ticket = extractTicket(prompt);
	const parseFrontMatter = await loadParser();
	const front = parseFrontMatter(ticket.text);
	if (!front.ok) {
		throw new DemoFailure(`${ticket.file}:${front.line}: ${front.message}${front.fix ? ` (fix: ${front.fix})` : ''}`);
	}
	const recipe = front.data['demo'];
	if (recipe !== undefined && typeof recipe !== 'string') {
		throw new DemoFailure(`${ticket.file}: the demo key must be a block literal (demo: |) of JSON lines, one action each`);
	}
	// Recipe line n sits n lines below the `demo: |` key in the ticket file.
	const keyLine = front.keyLines['demo'];
	const where = (line: number): string =>
		typeof keyLine === 'number' ? `${ticket.file}:${keyLine + line}: demo recipe line ${line}` : `${ticket.file}: demo recipe line ${line}`;
	// A ticket filed mid-run has no front matter of its author's: its recipe may
	// sit in the body instead, as a fenced ```demo block.
	const fenced = recipe === undefined ? /^```demo[ \t]*\n([\s\S]*?)^```/m.exec(front.body) : null;
	const all = parseRecipe(recipe ?? fenced?.[1] ?? '', where);

	const attempt = Number.parseInt(process.env['PROOFLOOP_ATTEMPT'] ?? '', 10) || 1;
	const actions = all.filter(
		action =>
			(!action.attempts || action.attempts.includes(attempt)) && (!action.when || fs.existsSync(path.join(cwd, action.when.path)) === action.when.exists),
	);
	// Every path is checked before anything is touched: a refused recipe
	// leaves the worktree as it found it.
	const targets = new Map<Action, string>();
	for (const action of actions) {
		if ('path' in action) {
			try {
				targets.set(action, insideWorktree(cwd, action.path));
			} catch (error) {
				throw new DemoFailure(`${where(action.line)}: ${(error as Error).message}`);
			}
		}
	}

	const stepMs = Number(process.env['PROOFLOOP_DEMO_STEP_MS'] ?? 150);
	const pause = (): Promise<void> => sleep(Number.isFinite(stepMs) && stepMs >= 0 ? stepMs : 150);
	const id = typeof front.data['id'] === 'string' ? front.data['id'] : process.env['PROOFLOOP_TICKET'] || 'ticket';
	const title = typeof front.data['title'] === 'string' ? front.data['title'] : '';
	const did: string[] = [];

	// Plan review: as the planner the demo engine only says what its recipe will do.
	if (process.env['PROOFLOOP_ROLE'] === 'planner') {
		const steps = actions.map(action => ('path' in action ? `${action.kind} ${action.path}` : action.kind));
		const plan = `Plan for ${id}${title ? ` (${title})` : ''}: ${steps.length > 0 ? steps.join(', ') : 'nothing to change'}; the checks prove it.`;
		say(plan);
		result({subtype: 'success', is_error: false, result: plan, terminal_reason: 'completed'});
		return;
	}

	if (all.length === 0) say(`${id} has no demo recipe, so there is nothing for the demo engine to do.`);
	for (const [index, action] of actions.entries()) {
		if (index > 0) await pause();
		const target = targets.get(action) ?? '';
		switch (action.kind) {
			case 'say':
				say(action.text);
				break;
			case 'sleep':
				await sleep(action.ms);
				break;
			case 'fail':
				throw new DemoFailure(action.message);
			case 'write':
				tool('Write', {file_path: target, content: action.content}, () => {
					const existed = fs.existsSync(target);
					fs.mkdirSync(path.dirname(target), {recursive: true});
					fs.writeFileSync(target, action.content);
					return existed ? `The file ${target} has been updated.` : `File created successfully at: ${target}`;
				});
				did.push(`wrote ${action.path}`);
				break;
			case 'append':
				tool('Edit', {file_path: target, old_string: '', new_string: action.content}, () => {
					fs.mkdirSync(path.dirname(target), {recursive: true});
					fs.appendFileSync(target, action.content);
					return `The file ${target} has been updated.`;
				});
				did.push(`appended to ${action.path}`);
				break;
			case 'file': {
				// The same `proofloop ticket file` any worker runs; the engine put it on PATH.
				const bodyFile = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'proofloop-demo-')), 'body.md');
				fs.writeFileSync(bodyFile, action.body);
				const blocks = action.blocks === 'self' ? id : action.blocks;
				const args = ['ticket', 'file', '--title', action.title, '--body-file', bodyFile, ...(blocks ? ['--blocks', blocks] : [])];
				tool('Bash', {command: `proofloop ${args.map(shq).join(' ')}`, description: 'File the missing work as its own ticket'}, () => {
					const filed = spawnSync('proofloop', args, {encoding: 'utf8'});
					if (filed.status !== 0) throw new Error(`${filed.stdout}${filed.stderr}`.trim() || `proofloop exited ${filed.status}`);
					return filed.stdout.trim();
				});
				did.push(`filed "${action.title}"`);
				break;
			}
			case 'delete': {
				const isDir = fs.lstatSync(target, {throwIfNoEntry: false})?.isDirectory() ?? false;
				tool('Bash', {command: `rm ${isDir ? '-r ' : ''}-- ${shq(action.path)}`, description: `Delete ${action.path}`}, () => {
					if (!fs.lstatSync(target, {throwIfNoEntry: false})) {
						throw new Error(`rm: cannot remove '${action.path}': No such file or directory`);
					}
					fs.rmSync(target, {recursive: isDir});
					return '';
				});
				did.push(`deleted ${action.path}`);
				break;
			}
		}
	}

	// Finish like a worker: commit what changed, or say that nothing did.
	await pause();
	let committed = '';
	if (git(cwd, ['status', '--porcelain']).trim() === '') {
		say('Nothing changed in the worktree, so there is nothing to commit.');
	} else {
		const message = title ? `${id}: ${title} (attempt ${attempt})` : `${id} (attempt ${attempt})`;
		tool('Bash', {command: `git add -A && git commit -m ${shq(message)}`, description: 'Commit the change'}, () => {
			const env = commitEnv(cwd);
			git(cwd, ['add', '-A'], env);
			return git(cwd, ['commit', '-m', message], env).trim();
		});
		committed = git(cwd, ['rev-parse', '--short', 'HEAD']).trim();
	}

	const summary = `${id} attempt ${attempt}: ${did.length > 0 ? did.join(', ') : 'no file changes'}${committed ? `; committed ${committed}` : ''}.`;
	result({subtype: 'success', is_error: false, result: summary, terminal_reason: 'completed'});
}

main().catch((error: unknown) => {
	// Like claude: every run ends with a result line, errors included, and exit 1.
	const message =
		error instanceof DemoFailure ? error.message : `demo engine crashed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`;
	result({subtype: 'error_during_execution', is_error: true, errors: [message], terminal_reason: 'error'});
	process.exitCode = 1;
});
