import {appendFileSync} from 'node:fs';
import {intentsDurable} from '../lib/intent-barrier.js';
import {readsOnly} from './read-only.js';
import {runOffThread} from '../lib/thread-spawn.js';
import {GitError, briefStderr} from './errors.js';
import {locatorVars} from '../lib/git-locator-vars.js';

export type GitResult = {exitCode: number; stdout: string; stderr: string};
export type GitOptions = {
	/** Written to git's stdin (e.g. a commit message for commit-tree -F -). */
	input?: string;
	/** Extra environment, over the inherited one (e.g. an identity fallback). */
	env?: Record<string, string>;
};

// We always locate the repository from cwd, whatever a hook set (lib/git-locator-vars.ts).

/**
 * The inherited environment minus the locator variables, plus `extra`, with
 * hooks off: a hook is code from the repository (husky's .husky/ is in the
 * tree an agent's diff changes; a core.hooksPath can be written), and the
 * engine's own git commands (a verify checkout's `worktree add`) run outside
 * every box; no fsmonitor either. The user's own GIT_CONFIG_COUNT entries are kept.
 */
export function gitEnv(extra: Record<string, string> = {}): Record<string, string> {
	const env: Record<string, string> = {};
	for (const [key, value] of Object.entries(process.env)) {
		if (value !== undefined && !locatorVars.includes(key)) env[key] = value;
	}
	const merged = {...env, ...extra};
	const count = Number.parseInt(merged['GIT_CONFIG_COUNT'] ?? '0', 10) || 0;
	return {
		...merged,
		// A ref under refs/replace/ makes git read another object wherever it reads one: a checkout would write it.
		GIT_NO_REPLACE_OBJECTS: '1',
		GIT_CONFIG_COUNT: String(count + 4),
		[`GIT_CONFIG_KEY_${count}`]: 'core.hooksPath',
		[`GIT_CONFIG_VALUE_${count}`]: '/dev/null',
		// An fsmonitor is a program git runs on every status and checkout.
		[`GIT_CONFIG_KEY_${count + 1}`]: 'core.fsmonitor',
		[`GIT_CONFIG_VALUE_${count + 1}`]: 'false',
		// git takes a commit's tree and parents from the commit-graph file unchecked: a forged one gave base's tip another tree.
		[`GIT_CONFIG_KEY_${count + 2}`]: 'core.commitGraph',
		[`GIT_CONFIG_VALUE_${count + 2}`]: 'false',
		// Nor from the multi-pack-index, which says where in a pack an id's object is: a forged one filed another object there.
		[`GIT_CONFIG_KEY_${count + 3}`]: 'core.multiPackIndex',
		[`GIT_CONFIG_VALUE_${count + 3}`]: 'false',
	};
}

// PROOFLOOP_GIT_LOG=<file>: one JSON line per git process the engine runs (for counting calls per ticket).
const callLog = process.env['PROOFLOOP_GIT_LOG'] || undefined;

function logCall(cwd: string, args: string[], exit: number, ms: number): void {
	try {
		appendFileSync(callLog!, JSON.stringify({at: Date.now(), ms: Math.round(ms), cwd, args, exit}) + '\n');
	} catch {
		// A log that cannot be written must not fail a git call.
	}
}

/**
 * Runs git and reports how it ended instead of throwing: callers that branch
 * on exit codes (is-ancestor, merge-tree, update-ref) need the code itself.
 */
export async function runGit(cwd: string, args: string[], opts: GitOptions = {}): Promise<GitResult> {
	// Every git command that writes may act on a logged intent: it starts after that intent's fsync (group commit).
	if (!readsOnly(args)) await intentsDurable();
	const started = callLog === undefined ? 0 : performance.now();
	// Spawned off the main thread (lib/thread-spawn.ts): the engine's loop does not wait for git's exec.
	const result = await runOffThread({file: 'git', args, cwd, env: gitEnv(opts.env), ...(opts.input === undefined ? {} : {input: opts.input})});
	// No exit code when git could not even start (missing cwd, no git) or was killed: the reason goes in stderr.
	const why = result.startError ?? (result.signal ? `git ${args.join(' ')} was killed by ${result.signal}` : undefined);
	const exitCode = result.code ?? -1;
	if (callLog !== undefined) logCall(cwd, args, exitCode, performance.now() - started);
	return {exitCode, stdout: result.stdout, stderr: why === undefined ? result.stderr : `${result.stderr}\n${why}`.trim()};
}

/**
 * Runs git and throws a GitError saying `what` failed and `fix` unless it
 * exits 0. For the commands whose failure is never an expected outcome.
 */
export async function mustGit(
	cwd: string,
	args: string[],
	what: string,
	fix = "read git's message above and repair the repository, then retry",
	opts: GitOptions = {},
): Promise<string> {
	const result = await runGit(cwd, args, opts);
	if (result.exitCode !== 0) {
		throw new GitError(`${what}: \`git ${args.join(' ')}\` in ${cwd} exited ${result.exitCode}: ${briefStderr(result.stderr)}; fix: ${fix}`, {
			args,
			exitCode: result.exitCode,
			stderr: result.stderr,
		});
	}
	return result.stdout;
}
