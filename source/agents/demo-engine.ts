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
 * JSON lines, one action each (blank lines and lines starting with # skipped):
 *   {"write": "path", "content": "..."}   {"append": "path", "content": "..."}
 *   {"delete": "path"}   {"say": "text"}   {"sleep_ms": 300}   {"fail": "message"}
 *   {"file": {"title": "...", "body": "...", "blocks": "self"}}   (files discovered work via `proofloop ticket file`)
 * Any action may carry "attempt": 1 or "attempt": [2, 3] to apply only then.
 * Then it commits what changed, like a worker finishing its ticket.
 *
 * Usage: demo-engine --prompt-file <path>   (env PROOFLOOP_ATTEMPT, PROOFLOOP_TICKET,
 * PROOFLOOP_DEMO_STEP_MS = pause between steps, default 150, so a watcher sees progress)
 */
import {spawnSync} from 'node:child_process';
import {randomUUID} from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

// Types only (oracle/oracle.d.mts); the module itself is loaded by loadParser().
type Oracle = typeof import('../../oracle/oracle.mjs');

/** `when`: the action runs only if the path exists (or is missing) in the worktree: a parked attempt resumes with the same number. */
type ActionBody = {attempts?: number[]; when?: {path: string; exists: boolean}} & (
	| {kind: 'write' | 'append'; path: string; content: string}
	| {kind: 'delete'; path: string}
	| {kind: 'say'; text: string}
	| {kind: 'sleep'; ms: number}
	| {kind: 'fail'; message: string}
	| {kind: 'file'; title: string; body: string; blocks?: string}
);
/** An action and its line in the recipe, for error messages. */
type Action = ActionBody & {line: number};

/** Ends the run with an error result; caught once in main(). */
class DemoFailure extends Error {}

const sessionId = randomUUID();
const started = Date.now();
const usage = {input_tokens: 0, output_tokens: 0};
let turns = 0;
let messageCount = 0;
let toolCount = 0;

function emit(message: Record<string, unknown>): void {
	// Pipes are written synchronously on Linux, so nothing is lost at exit.
	process.stdout.write(`${JSON.stringify(message)}\n`);
}

function assistant(content: Record<string, unknown>[]): void {
	turns++;
	emit({
		type: 'assistant',
		message: {
			id: `msg_demo_${++messageCount}`,
			type: 'message',
			role: 'assistant',
			model: 'proofloop-demo',
			content,
			stop_reason: null,
			usage: {input_tokens: usage.input_tokens, output_tokens: 1},
		},
		parent_tool_use_id: null,
		session_id: sessionId,
	});
}

function say(text: string): void {
	usage.output_tokens += tokens(text);
	assistant([{type: 'text', text}]);
}

/** A tool_use line, the work, then the tool_result line, as claude prints them. */
function tool(name: string, input: Record<string, unknown>, work: () => string): void {
	const id = `toolu_demo_${++toolCount}`;
	usage.output_tokens += tokens(JSON.stringify(input));
	assistant([{type: 'tool_use', id, name, input}]);
	let output: string;
	let isError = false;
	try {
		output = work();
	} catch (error) {
		output = error instanceof Error ? error.message : String(error);
		isError = true;
	}
	emit({
		type: 'user',
		message: {role: 'user', content: [{tool_use_id: id, type: 'tool_result', content: output, is_error: isError}]},
		parent_tool_use_id: null,
		session_id: sessionId,
	});
	if (isError) throw new DemoFailure(`${name} failed: ${output}`);
}

function result(fields: Record<string, unknown>): void {
	emit({
		type: 'result',
		duration_ms: Date.now() - started,
		num_turns: turns,
		session_id: sessionId,
		total_cost_usd: 0,
		usage,
		permission_denials: [],
		...fields,
	});
}

/** Deterministic stand-in for a token count: about four characters a token. */
function tokens(text: string): number {
	return Math.ceil(text.length / 4);
}

const sleep = (ms: number): Promise<void> => new Promise(resolve => setTimeout(resolve, ms));

/** POSIX single quoting, for the commands we display. */
const shq = (value: string): string => (/^[\w./-]+$/.test(value) ? value : `'${value.replaceAll("'", `'\\''`)}'`);

function argValue(argv: string[], name: string): string | undefined {
	for (let i = 0; i < argv.length; i++) {
		const arg = argv[i]!;
		if (arg === name) return argv[i + 1];
		if (arg.startsWith(`${name}=`)) return arg.slice(name.length + 1);
	}
	return undefined;
}

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

const verbs = ['write', 'append', 'delete', 'say', 'sleep_ms', 'fail', 'file'] as const;

/** One recipe line -> an action, or a message saying what is wrong with it. */
function parseAction(text: string): ActionBody | string {
	let raw: unknown;
	try {
		raw = JSON.parse(text);
	} catch (error) {
		return `not JSON (${(error as Error).message}): ${text}`;
	}
	if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return 'each line must be a JSON object, e.g. {"write": "path", "content": "..."}';
	const obj = raw as Record<string, unknown>;
	const present = verbs.filter(verb => verb in obj);
	if (present.length !== 1) {
		return `needs exactly one of ${verbs.join(', ')}${present.length > 1 ? ` (found ${present.join(', ')})` : ''}`;
	}
	const verb = present[0]!;
	const allowed = new Set<string>([verb, 'attempt', 'if_exists', 'unless_exists', ...(verb === 'write' || verb === 'append' ? ['content'] : [])]);
	const stray = Object.keys(obj).find(key => !allowed.has(key));
	if (stray) return `unknown key "${stray}" in a ${verb} action`;

	let attempts: number[] | undefined;
	if ('attempt' in obj) {
		const list = Array.isArray(obj['attempt']) ? obj['attempt'] : [obj['attempt']];
		if (list.length === 0 || !list.every(n => Number.isInteger(n) && (n as number) >= 1)) {
			return '"attempt" must be an attempt number (1, 2, ...) or a list of them';
		}
		attempts = list as number[];
	}
	const condition = obj['if_exists'] ?? obj['unless_exists'];
	if (condition !== undefined && (typeof condition !== 'string' || condition === '')) return '"if_exists" / "unless_exists" must be a path';
	const when = typeof condition === 'string' ? {when: {path: condition, exists: 'if_exists' in obj}} : {};
	const value = obj[verb];
	const needString = (what: string): string => `"${verb}" must be ${what}`;
	switch (verb) {
		case 'write':
		case 'append': {
			if (typeof value !== 'string' || value === '') return needString('a path');
			const content = obj['content'] ?? '';
			if (typeof content !== 'string') return '"content" must be a string';
			return {kind: verb, path: value, content, attempts, ...when};
		}
		case 'delete':
			return typeof value === 'string' && value !== '' ? {kind: 'delete', path: value, attempts, ...when} : needString('a path');
		case 'say':
			return typeof value === 'string' ? {kind: 'say', text: value, attempts, ...when} : needString('a string');
		case 'fail':
			return typeof value === 'string' ? {kind: 'fail', message: value, attempts, ...when} : needString('a string');
		case 'file': {
			// Discovered work, filed through the engine like a real worker would: {"file": {"title", "body", "blocks"?}}.
			const spec = value as {title?: unknown; body?: unknown; blocks?: unknown} | null;
			if (typeof spec !== 'object' || spec === null || typeof spec.title !== 'string' || typeof spec.body !== 'string') {
				return needString('an object {"title": "...", "body": "...", "blocks"?: "<id>" or "self"}');
			}
			return {kind: 'file', title: spec.title, body: spec.body, ...(typeof spec.blocks === 'string' ? {blocks: spec.blocks} : {}), attempts, ...when};
		}
		case 'sleep_ms':
			return typeof value === 'number' && Number.isFinite(value) && value >= 0
				? {kind: 'sleep', ms: value, attempts, ...when}
				: needString('a number of milliseconds');
	}
}

function parseRecipe(recipe: string, where: (line: number) => string): Action[] {
	const actions: Action[] = [];
	recipe.split(/\r?\n/).forEach((text, index) => {
		const trimmed = text.trim();
		if (trimmed === '' || trimmed.startsWith('#')) return;
		const action = parseAction(trimmed);
		if (typeof action === 'string') throw new DemoFailure(`${where(index + 1)}: ${action}`);
		actions.push({...action, line: index + 1});
	});
	return actions;
}

/**
 * A recipe path -> an absolute path inside the worktree, or a refusal. A demo
 * recipe is ticket text: it must not be able to touch anything outside its
 * worktree, nor git's own files, not even through a symlink.
 */
function insideWorktree(root: string, relative: string): string {
	if (path.isAbsolute(relative)) throw new DemoFailure(`refused ${relative}: absolute paths are not allowed (paths are relative to the worktree)`);
	if (relative.split(/[\\/]+/).includes('..')) throw new DemoFailure(`refused ${relative}: ".." would leave the worktree`);
	const target = path.resolve(root, relative);
	const rel = path.relative(root, target);
	if (rel === '' || rel.startsWith('..') || path.isAbsolute(rel)) throw new DemoFailure(`refused ${relative}: not a file inside the worktree`);
	if (rel.split(path.sep)[0] === '.git') throw new DemoFailure(`refused ${relative}: .git belongs to git`);
	// Follow every existing component that is a symlink: its target must stay inside too.
	let probe = root;
	for (const part of rel.split(path.sep)) {
		probe = path.join(probe, part);
		const stat = fs.lstatSync(probe, {throwIfNoEntry: false});
		if (!stat) break;
		if (!stat.isSymbolicLink()) continue;
		let real: string;
		try {
			real = fs.realpathSync(probe);
		} catch {
			throw new DemoFailure(`refused ${relative}: ${path.relative(root, probe)} is a dangling symlink`);
		}
		const realRel = path.relative(root, real);
		if (realRel === '' || realRel.startsWith('..') || path.isAbsolute(realRel)) {
			throw new DemoFailure(`refused ${relative}: ${path.relative(root, probe)} links outside the worktree`);
		}
	}
	return target;
}

function git(cwd: string, args: string[], env: NodeJS.ProcessEnv = process.env): string {
	const run = spawnSync('git', args, {cwd, env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe']});
	if (run.error) throw run.error;
	if (run.status !== 0) throw new Error(`git ${args[0]}: ${(run.stderr || run.stdout).trim() || `exit code ${run.status}`}`);
	return run.stdout;
}

/** A user's own identity when git has one; a clearly-labelled stand-in otherwise. */
function commitEnv(cwd: string): NodeJS.ProcessEnv {
	const has = (key: string): boolean => spawnSync('git', ['config', key], {cwd, stdio: 'ignore'}).status === 0;
	const env = {...process.env};
	if (!has('user.name')) env['GIT_AUTHOR_NAME'] = env['GIT_COMMITTER_NAME'] = 'proofloop demo';
	if (!has('user.email')) env['GIT_AUTHOR_EMAIL'] = env['GIT_COMMITTER_EMAIL'] = 'demo@proofloop.invalid';
	return env;
}

async function main(): Promise<void> {
	const cwd = fs.realpathSync(process.cwd());
	emit({
		type: 'system',
		subtype: 'init',
		cwd,
		session_id: sessionId,
		tools: ['Bash', 'Edit', 'Write'],
		mcp_servers: [],
		model: 'proofloop-demo',
		permissionMode: 'bypassPermissions',
		apiKeySource: 'none',
	});

	const promptFile = argValue(process.argv.slice(2), '--prompt-file');
	if (!promptFile) throw new DemoFailure('usage: demo-engine --prompt-file <path>');
	let prompt: string;
	try {
		prompt = fs.readFileSync(promptFile, 'utf8');
	} catch (error) {
		throw new DemoFailure(`cannot read the prompt file: ${(error as Error).message}`);
	}
	usage.input_tokens = tokens(prompt);

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
		action => (!action.attempts || action.attempts.includes(attempt)) && (!action.when || fs.existsSync(path.join(cwd, action.when.path)) === action.when.exists),
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
	const message = error instanceof DemoFailure ? error.message : `demo engine crashed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`;
	result({subtype: 'error_during_execution', is_error: true, errors: [message], terminal_reason: 'error'});
	process.exitCode = 1;
});
