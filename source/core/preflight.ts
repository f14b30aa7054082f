import {existsSync, mkdtempSync, realpathSync, rmSync, statSync, writeFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import type {AgentCommand} from '../agents/adapter.js';
import path from 'node:path';
import type {AgentConfig} from '../agents/config.js';
import {programOf} from './command-program.js';
import {createAdapter} from '../agents/registry.js';
import {versionFails} from '../agents/doctor.js';
import {runGit} from '../git/run.js';
import type {Ticket} from '../tracker/ticket.js';
import {expandHome} from '../agents/sandbox.js';
import {CONFIG_PATH, workerOf, type ProjectConfig} from './config.js';
import {quotedAt} from './finish-line-files.js';
import {InputError} from './input-error.js';
import {packageRoot} from './paths.js';
import {findOnPath, isExecutable} from '../lib/which.js';
import {profilesInUse} from './routing.js';
import {reviewerConfigs} from './reviewers.js';

/**
 * Before the first attempt: every program the run will start must start. The
 * agents' executables resolve as the agents will see them (inside the box, a
 * path under the private /tmp is hidden unless opened), and every check and
 * verify command's program resolves. A failure costs no attempt: the run
 * refuses with the fix. `proofloop doctor` runs the same.
 */

export type PreflightProblem = {what: string; problem: string; fix: string};

export type PreflightInput = {
	repoRoot: string;
	config: ProjectConfig;
	/** The batch's tickets (their own checks and verify). */
	tickets: readonly Ticket[];
	/** The engine's environment: checks and verify run with it. */
	env: Record<string, string | undefined>;
	/** Set when agents run in bubblewrap: what the box lets them see under /tmp. */
	box?: {visible: string[]};
};

/** Words sh runs itself: nothing to find on PATH. */
const BUILTINS = new Set([
	...': . [ alias bg break cd command continue echo eval exec exit export false fg getopts hash jobs kill local'.split(' '),
	...'printf pwd read readonly return set shift source test times trap true type ulimit umask unalias unset wait'.split(' '),
]);
/** Programs whose first argument is the script they run. */
const INTERPRETERS = new Set(['node', 'nodejs', 'deno', 'bun', 'python', 'python3', 'sh', 'bash', 'zsh', 'ruby', 'perl', 'tsx', 'ts-node']);

/**
 * A command line split into its simple commands' words, for the plain cases
 * (quotes, &&, ||, ;, |). Undefined when it is too clever to judge without a
 * shell (substitutions, subshells, functions): then nothing is claimed.
 */
export function simpleCommands(line: string): string[][] | undefined {
	if (/\$\(|`|^\s*[({]|\bfunction\b|<<|\bif\b|\bfor\b|\bwhile\b|\bcase\b/.test(line)) return undefined;
	const commands: string[][] = [[]];
	let word: string | undefined;
	const end = () => {
		if (word !== undefined) commands.at(-1)!.push(word);
		word = undefined;
	};
	for (let i = 0; i < line.length; i++) {
		const c = line[i]!;
		const quoted = quotedAt(line, i);
		if (quoted) {
			if (!quoted.closed) return undefined;
			word = (word ?? '') + quoted.text;
			i = quoted.end;
		} else if (/\s/.test(c)) {
			end();
		} else if (c === '&' && /[<>]$/.test(word ?? '')) {
			// 2>&1, >&2: a redirection, not a background job.
			word = (word ?? '') + c;
		} else if (c === ';' || c === '|' || c === '&') {
			end();
			if (line[i + 1] === c) i++;
			commands.push([]);
		} else {
			word = (word ?? '') + c;
		}
	}
	end();
	return commands.filter(words => words.length > 0);
}

export {programOf} from './command-program.js';

const within = (p: string, dir: string): boolean => {
	const rel = path.relative(dir, p);
	return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
};

/** Whether a sandboxed agent sees this path (the box has its own /tmp). */
function hiddenByBox(file: string, box: PreflightInput['box']): boolean {
	if (!box) return false;
	let real = file;
	try {
		real = realpathSync(file);
	} catch {
		// Judged by its own name.
	}
	return [file, real].some(p => within(p, '/tmp') && !box.visible.some(v => within(p, v)));
}

function existsInBase(repoRoot: string, base: string, file: string): Promise<boolean> {
	const rel = path.posix.normalize(file.replace(/^\.\//, ''));
	return runGit(repoRoot, ['cat-file', '-e', `refs/heads/${base}:${rel}`]).then(result => result.exitCode === 0);
}

const boxFix = (file: string): string =>
	`agents run in a sandbox with a private /tmp: add "${path.dirname(file)}" to "sandboxPaths.readable" in ${CONFIG_PATH} (or move it out of /tmp)`;

/** The agents a run may start: the worker, the engine profiles routing reaches, the reviewers, the healer. */
function agentsOf(config: ProjectConfig, tickets: readonly Ticket[]): Array<{role: string; agent: AgentConfig}> {
	// None configured: a run refuses before its preflight (agentOf), and doctor says so itself.
	const worker = config.agent;
	const fallback = workerOf(config);
	const healer = config.selfHeal.healer ?? (fallback?.type === 'demo' ? undefined : fallback);
	const workers = [
		...(worker ? [{role: 'worker agent', agent: worker}] : []),
		...profilesInUse(config, tickets).map(name => ({role: `engine profile '${name}'`, agent: config.engines[name]!})),
	];
	return [
		...workers,
		...reviewerConfigs(config).map((agent, i, all) => ({role: all.length > 1 ? `reviewer ${i + 1}` : 'reviewer', agent})),
		// The healer by default is a worker already checked above: once is enough.
		...(healer && config.selfHeal.max > 0 && !workers.some(w => w.agent === healer) ? [{role: 'healer', agent: healer}] : []),
	];
}

export async function checkAgent(input: PreflightInput, role: string, agent: AgentConfig): Promise<PreflightProblem[]> {
	if (agent.type === 'demo') return [];
	const what = `${role} (${agent.type})`;
	const agentPath = input.config.agentEnv.set['PATH'] ?? input.env['PATH'];
	// The command the runner will spawn, with stand-ins for the per-attempt values (CLI adapters read the prompt).
	const scratch = mkdtempSync(path.join(tmpdir(), 'proofloop-preflight-'));
	const promptFile = path.join(scratch, 'prompt.md');
	writeFileSync(promptFile, 'preflight\n');
	let command: AgentCommand;
	try {
		command = createAdapter(agent).command({ticketId: 'PREFLIGHT', attempt: 1, maxAttempts: 1, promptFile, worktree: input.repoRoot});
	} finally {
		rmSync(scratch, {recursive: true, force: true});
	}
	const problems: PreflightProblem[] = [];
	const judge = (file: string, kind: 'program' | 'script'): void => {
		if (kind === 'program' && !file.includes('/')) {
			if (BUILTINS.has(file)) return;
			const found = findOnPath(file, agentPath);
			if (!found) {
				problems.push({
					what,
					problem: `\`${file}\` is not found on the agents' PATH`,
					fix:
						agent.type === 'command'
							? `install it, or put its full path in "agent.command" in ${CONFIG_PATH}`
							: `install it, or set "bin" in the agent config in ${CONFIG_PATH} (proofloop doctor says how)`,
				});
			} else if (hiddenByBox(found, input.box)) {
				problems.push({what, problem: `\`${file}\` resolves to ${found}, which the sandbox hides`, fix: boxFix(found)});
			}
			return;
		}
		const full = path.resolve(input.repoRoot, file);
		const exists =
			kind === 'program'
				? isExecutable(full)
				: (() => {
						try {
							return statSync(full).isFile();
						} catch {
							return false;
						}
					})();
		if (!exists)
			problems.push({
				what,
				problem: `${full} does not exist${kind === 'program' ? ' or is not executable' : ''}`,
				fix: `fix the path in the agent config in ${CONFIG_PATH}`,
			});
		else if (hiddenByBox(full, input.box))
			problems.push({
				what,
				problem: `${full} is under /tmp, which the sandbox hides: the agent would not find it ("Cannot find module", "not found")`,
				fix: boxFix(full),
			});
	};
	if (agent.type === 'command') {
		const line = command.args[1] ?? '';
		for (const words of simpleCommands(line) ?? []) {
			const run = programOf(words);
			if (!run) continue;
			judge(run.program, 'program');
			// The script an interpreter runs must be there; any absolute path it names must be visible in the box.
			const script = INTERPRETERS.has(path.basename(run.program)) ? run.args.find(arg => !arg.startsWith('-')) : undefined;
			for (const arg of run.args) {
				if (!path.isAbsolute(arg) || arg === promptFile || within(arg, input.repoRoot)) continue;
				if (arg === script) judge(arg, 'script');
				else if (existsSync(arg) && hiddenByBox(arg, input.box))
					problems.push({what, problem: `${arg} is under /tmp, which the sandbox hides`, fix: boxFix(arg)});
			}
		}
	} else {
		judge(command.file, 'program');
		// Installed is not working: a CLI that cannot print its version would spend the whole budget failing.
		const found =
			problems.length === 0 ? (command.file.includes('/') ? path.resolve(input.repoRoot, command.file) : findOnPath(command.file, agentPath)) : undefined;
		const env = Object.fromEntries(Object.entries({...input.env, ...input.config.agentEnv.set}).filter((e): e is [string, string] => e[1] !== undefined));
		const fails = found && (await versionFails(found, env));
		if (fails)
			problems.push({
				what,
				problem: `\`${command.file} --version\` failed (${fails}): it is installed but does not start`,
				fix: `reinstall it (\`proofloop doctor\` names the package), or set "bin" in the agent config in ${CONFIG_PATH}`,
			});
	}
	return problems;
}

export async function checkCommand(input: PreflightInput, what: string, line: string, inBase = true): Promise<PreflightProblem[]> {
	const commands = simpleCommands(line);
	if (!commands) return [];
	const problems: PreflightProblem[] = [];
	let movedAway = false;
	for (const words of commands) {
		const run = programOf(words);
		if (!run) continue;
		const {program} = run;
		const fix = `install it, or change ${what} (the ticket's or "checks"/"verify" in ${CONFIG_PATH})`;
		if (program === 'cd') movedAway = true;
		if (BUILTINS.has(program)) continue;
		if (!program.includes('/')) {
			if (!findOnPath(program, input.env['PATH'])) problems.push({what, problem: `\`${program}\` is not found on PATH`, fix});
		} else if (path.isAbsolute(program)) {
			if (!isExecutable(program)) problems.push({what, problem: `${program} does not exist or is not executable`, fix});
		} else if (inBase && !movedAway && !(await existsInBase(input.repoRoot, input.config.base, program))) {
			problems.push({
				what,
				problem: `${program} is not in ${input.config.base} (checks run in a checkout of it)`,
				fix: `commit it to ${input.config.base}, or change ${what}`,
			});
		}
	}
	return problems;
}

/** Every problem found; empty when the run may start. */
export async function preflight(input: PreflightInput): Promise<PreflightProblem[]> {
	const problems: PreflightProblem[] = [];
	for (const {role, agent} of agentsOf(input.config, input.tickets)) problems.push(...(await checkAgent(input, role, agent)));
	const lines = new Map<string, string>();
	for (const command of input.config.checks) lines.set(command, `check \`${command}\``);
	for (const command of input.config.verify) lines.set(command, `verify \`${command}\``);
	for (const ticket of input.tickets) {
		for (const command of ticket.checks ?? []) if (!lines.has(command)) lines.set(command, `${ticket.id}'s check \`${command}\``);
		for (const command of ticket.verify ?? []) if (!lines.has(command)) lines.set(command, `${ticket.id}'s verify \`${command}\``);
	}
	for (const [command, what] of lines) problems.push(...(await checkCommand(input, what, command)));
	return problems;
}

export function renderPreflight(problems: readonly PreflightProblem[]): string {
	return [
		'preflight: the run cannot start what it needs; nothing ran and no attempt was spent:',
		...problems.flatMap(p => [`  - ${p.what}: ${p.problem}`, `    fix: ${p.fix}`]),
	].join('\n');
}

/** What a sandboxed agent sees under /tmp (see sandboxCommand): the repo, proofloop, node, PATH dirs, HOME, the opened paths. */
export function boxVisible(repoRoot: string, config: ProjectConfig, env: Record<string, string | undefined>): string[] {
	const home = env['HOME'];
	const agentPath = config.agentEnv.set['PATH'] ?? env['PATH'] ?? '';
	return [
		repoRoot,
		packageRoot(),
		path.dirname(process.execPath),
		...agentPath.split(path.delimiter).filter(d => path.isAbsolute(d)),
		...(home ? [home] : []),
		...[...config.sandboxPaths.readable, ...config.sandboxPaths.writable].map(p => path.resolve(expandHome(p, home))),
	];
}

/** The run's gate: refuses (exit 2, the fixes listed) before anything is written or any attempt spent. */
export async function refuseUnlessPreflight(input: Omit<PreflightInput, 'box'> & {boxed: boolean}): Promise<void> {
	const problems = await preflight({...input, ...(input.boxed ? {box: {visible: boxVisible(input.repoRoot, input.config, input.env)}} : {})});
	if (problems.length > 0) throw new InputError(renderPreflight(problems));
}
