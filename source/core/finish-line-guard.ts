import {GitError} from '../git/errors.js';
import {runGit} from '../git/index.js';
import {mustGit} from '../git/run.js';
import {forkPoint} from '../git/fork-point.js';
import {objectStoreProblem} from '../git/object-integrity.js';
import {commonDir} from '../git/worktrees.js';
import type {Ticket} from '../tracker/ticket.js';
import type {EngineContext} from './context.js';
import {countFocused, countTests, isRunnerConfig, isTestFile, matchesPathRule, namedFiles, type BaseTree} from './finish-line-files.js';
import {guardDiff, type GuardVerdict} from './guard.js';
import {knownTree, rememberDiff, rememberTree} from './base-trees.js';
import {allPins, pinnedTicket} from './ticket-pins.js';

// The checks and verify run the repository's own scripts and tests: a diff
// that edits them moves the finish line as surely as one that edits the
// oracle. This refuses it, unless a person allowed the path in the ticket.

const MAX_READ = 1_000_000;

/** Every finish-line command of the run: the config's, this ticket's and every other ticket's (one ticket must not gut another's verify). */
export async function runCommands(ctx: EngineContext, ticket: Ticket): Promise<string[]> {
	const commands = [...ctx.config.checks, ...ctx.config.verify, ...(ticket.checks ?? []), ...(ticket.verify ?? [])];
	const all = await ctx.tracker.load().catch(() => [] as Ticket[]);
	for (const other of [...all, ...allPins(ctx)]) commands.push(...(other.checks ?? []), ...(other.verify ?? []));
	return [...new Set(commands)];
}

async function show(checkout: string, commit: string, file: string): Promise<string | undefined> {
	const result = await runGit(checkout, ['cat-file', 'blob', `${commit}:${file}`]);
	return result.exitCode === 0 && result.stdout.length <= MAX_READ ? result.stdout : undefined;
}

async function baseTree(checkout: string, fork: string): Promise<BaseTree & {texts: Map<string, string | undefined>}> {
	// Known from the last guard, or from the merge it led to (base-trees.ts): no ls-tree.
	const known = knownTree(fork);
	const files = known ? new Set(known.files) : await listFiles(checkout, fork);
	const texts = new Map(known?.texts);
	// Reads are few (package.json, the shell scripts named): fetch them up front, then resolve synchronously.
	return {files, texts, read: file => texts.get(file)};
}

type Resolved = {tree: BaseTree & {texts: Map<string, string | undefined>}; named: ReturnType<typeof namedFiles>};
const resolving = new Map<string, Promise<Resolved>>();

/** resolve(), shared by guards that judge against the same fork with the same commands at the same time (read-only after). */
function resolveOnce(root: string, fork: string, commands: string[]): Promise<Resolved> {
	const key = `${root}\0${fork}\0${JSON.stringify(commands)}`;
	const running = resolving.get(key);
	if (running) return running;
	const started = resolve(root, fork, commands);
	resolving.set(key, started);
	void started.finally(() => resolving.delete(key)).catch(() => undefined);
	return started;
}

/** Resolve the commands against base, reading each file the resolution asks for (a fixed point: scripts name scripts). */
async function resolve(checkout: string, fork: string, commands: string[]): Promise<Resolved> {
	const tree = await baseTree(checkout, fork);
	for (let round = 0; round < 8; round++) {
		const named = namedFiles(commands, tree);
		const wanted = ['package.json', ...named.files.keys()].filter(file => tree.files.has(file) && !tree.texts.has(file));
		if (wanted.length === 0) {
			rememberTree(fork, tree);
			return {tree, named};
		}
		for (const file of wanted) tree.texts.set(file, await show(checkout, fork, file));
	}
	return {tree, named: namedFiles(commands, tree)};
}

async function listFiles(checkout: string, commit: string): Promise<Set<string>> {
	const listed = await runGit(checkout, ['ls-tree', '-r', '-z', '--name-only', commit]);
	// A listing git could not give is not remembered as a tree: an empty list here refuses nothing (as before), but must not be carried on.
	if (listed.exitCode !== 0) throw new GitError(`listing the files of ${commit} failed: ${listed.stderr.trim()}; fix: run \`git fsck\` in ${checkout}`);
	return new Set(listed.stdout.split('\0').filter(Boolean));
}

function scriptsOf(text: string | undefined): Record<string, unknown> {
	try {
		const parsed = text === undefined ? undefined : (JSON.parse(text) as {scripts?: unknown});
		return parsed && typeof parsed.scripts === 'object' && parsed.scripts !== null ? (parsed.scripts as Record<string, unknown>) : {};
	} catch {
		return {};
	}
}

/** What `head` changed since it forked from base: `files` as `git diff base...head` lists them (renames as delete + add), and which of them it deletes. */
export type BranchDiff = {head: string; fork: string; files: string[]; deleted: ReadonlySet<string>};

/**
 * The diff of `head` (the commit the checks passed and the merge takes, never the checkout's HEAD, which
 * a check can move) from its fork point, in one `diff --name-status` (the file list and the deletions were two).
 */
export async function branchDiff(checkout: string, base: string, head: string, root = checkout): Promise<BranchDiff> {
	// From refs/heads/<base>: a bare `main` is a tag `main` (or a file .git/main) first, and an agent can make either.
	const fork = await forkPoint(root, checkout, base, head);
	if (!fork) {
		throw new GitError(
			`listing the files changed since ${base} failed: no fork point between ${base} and ${head} in ${checkout}; fix: check that '${base}' exists and shares history with the branch`,
		);
	}
	const out = await mustGit(
		checkout,
		['diff', '--name-status', '--no-renames', '-z', fork, head, '--'],
		`listing the files changed since ${base} failed`,
		`check that '${base}' exists and shares history with the branch`,
	);
	const fields = out.split('\0');
	const files = new Set<string>();
	const deleted = new Set<string>();
	for (let i = 0; i + 1 < fields.length; i += 2) {
		const [status, file] = [fields[i]!, fields[i + 1]!];
		if (!file) continue;
		files.add(file);
		if (status === 'D') deleted.add(file);
	}
	return {head, fork, files: [...files], deleted};
}

export type FinishLineCheck = {
	checkout: string;
	/** The repository's main checkout, where base's files are read (default: checkout). */
	root?: string;
	base: string;
	/** The branch's diff (branchDiff). */
	diff: BranchDiff;
	commands: readonly string[];
	/** The config's `protect` list. */
	protect: readonly string[];
	/** The ticket's `allow` list, written by a person. */
	allow: readonly string[];
	/** Told each file the allow list let through (said out loud: a person's exception, not the rule). */
	onAllowed?: (file: string) => void;
};

/** Each refused file with the rule that refuses it (empty: the diff leaves the finish line alone). */
export async function finishLineFindings(check: FinishLineCheck): Promise<string[]> {
	const {fork, deleted} = check.diff;
	// Base's side is read from the repository itself, not through the agent's checkout.
	const {tree, named} = await resolveOnce(check.root ?? check.checkout, fork, [...check.commands]);
	const findings: string[] = [];
	for (const file of check.diff.files) {
		if (check.allow.some(rule => matchesPathRule(file, rule))) {
			check.onAllowed?.(file);
			continue;
		}
		const rule = check.protect.find(entry => matchesPathRule(file, entry));
		if (rule !== undefined) {
			findings.push(`${file}: on the config's protect list ("${rule}")`);
			continue;
		}
		const onBase = tree.files.has(file);
		const how = !onBase ? 'adds' : deleted.has(file) ? 'deletes' : 'changes';
		// Read only for the two rules that look inside (undefined: deleted, or too large to judge).
		const head = (): Promise<string | undefined> => (deleted.has(file) ? Promise.resolve(undefined) : show(check.checkout, check.diff.head, file));
		if (isRunnerConfig(file)) {
			findings.push(`${file}: ${how} a file that changes how the finish line's commands run (package-manager or test-runner config)`);
			continue;
		}
		if (!onBase) continue; // New files stay free to add.
		if (file === 'package.json') {
			if (named.scripts.size === 0) continue;
			const before = scriptsOf(tree.read(file));
			const text = await head();
			const after = scriptsOf(text);
			for (const [script, origin] of named.scripts) {
				if (text === undefined || JSON.stringify(before[script]) !== JSON.stringify(after[script])) {
					findings.push(`package.json: ${deleted.has(file) ? 'deleted' : `changes the script "${script}"`}, which the finish line runs (\`${origin}\`)`);
				}
			}
			continue;
		}
		const origin = named.files.get(file);
		if (origin !== undefined) {
			findings.push(`${file}: ${how} a file the finish line runs (\`${origin}\`)`);
			continue;
		}
		if (isTestFile(file)) {
			if (deleted.has(file)) {
				findings.push(`${file}: deletes an existing test file`);
				continue;
			}
			const text = await head();
			const before = (await show(check.checkout, fork, file)) ?? '';
			const was = countTests(before);
			// Unreadable (over the read limit) fails closed, as package.json does: padding must not hide a gutted file.
			if (text === undefined) findings.push(`${file}: an existing test file grew past ${MAX_READ} bytes, so its tests cannot be counted`);
			else if (text.trim() === '') findings.push(`${file}: empties an existing test file`);
			else if (countTests(text) < was) findings.push(`${file}: removes existing tests (${was} test cases on ${check.base}, ${countTests(text)} after)`);
			else if (countFocused(text) > countFocused(before)) findings.push(`${file}: focuses a test with .only, which skips the file's other tests`);
		}
	}
	return findings;
}

/** The guard stage: a diff that does something, touches no protected path, and leaves the finish line alone. */
export async function guardAttempt(
	ctx: EngineContext,
	ticket: Ticket,
	checkout: string,
	head: string,
	protectedPaths: string[],
): Promise<{files: string[]; verdict: GuardVerdict}> {
	const diff = await branchDiff(checkout, ctx.config.base, head, ctx.repoRoot);
	rememberDiff(diff);
	return {files: diff.files, verdict: await judge(ctx, ticket, checkout, diff, protectedPaths)};
}

async function judge(ctx: EngineContext, ticket: Ticket, checkout: string, diff: BranchDiff, protectedPaths: string[]): Promise<GuardVerdict> {
	const base = ctx.config.base;
	const plain = guardDiff(diff.files, protectedPaths, base);
	if (!plain.ok) return plain;
	// The diff is judged by object ids: they must still name what they named.
	const forged = await objectStoreProblem(await commonDir(ctx.repoRoot), {packs: !ctx.sandbox});
	if (forged) return {ok: false, reason: forged};
	const {allow} = pinnedTicket(ctx, ticket);
	const findings = await finishLineFindings({
		checkout,
		root: ctx.repoRoot,
		base,
		diff,
		commands: await runCommands(ctx, ticket),
		protect: ctx.config.protect,
		allow,
		onAllowed: file =>
			ctx.log.append({
				type: 'warning',
				ticket: ticket.id,
				message: `${ticket.id}: the guard lets ${file} change because ${ticket.file} allows it (allow: [${allow.join(', ')}])`,
			}),
	});
	if (findings.length === 0) return plain;
	const paths = findings.map(finding => finding.slice(0, finding.indexOf(':')));
	return {
		ok: false,
		reason:
			`the diff moves the finish line (the checks and verify run these files):\n${findings.map(f => `- ${f}`).join('\n')}\n` +
			`Revert those changes and do the work itself. (Only a person may allow them, in ${ticket.file}: allow: [${[...new Set(paths)].join(', ')}])`,
	};
}
