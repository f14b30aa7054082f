/**
 * The agent sandbox: every agent process (worker, reviewer) runs inside
 * bubblewrap with the whole filesystem read-only except what its work needs.
 *
 * What is writable, and why (everything else is read-only, or hidden when it
 * lives under /tmp):
 * - its own worktree (the work);
 * - a private /tmp (tmpfs, size-capped, gone with the sandbox);
 * - of the repository's git metadata only what `git commit` on its own branch
 *   writes: the linked worktree's gitdir (`.git/worktrees/<id>`: index, logs,
 *   COMMIT_EDITMSG, and the agent's own object store: the shared one stays
 *   read-only, see agent-objects.ts), and the directory of its branch ref and of that
 *   ref's reflog (`refs/heads/proofloop/`, `logs/refs/heads/proofloop/`: git
 *   writes `<ref>.lock` next to the ref and renames it, so the directory is the
 *   smallest unit). Inside those, the files that steer where git looks are
 *   read-only again: the worktree's `.git` file, the gitdir's `HEAD`,
 *   `commondir` and `gitdir`. Otherwise an agent could point its worktree at a
 *   repository of its own (hooks, `core.fsmonitor`), or its HEAD at the base
 *   branch, and the engine's own git commands in that worktree (unsandboxed)
 *   would run its code or commit onto base. The host never replaces those
 *   files while the agent runs, so a file-level bind holds (the known way to
 *   lose one is a rename by the host, see trackers-reliability.md D).
 * - its CLI's config home (~/.claude, ~/.codex, ...; named in each CLI's
 *   file): the real directory, not a copy. It holds the credentials the CLI refreshes and writes back and the
 *   session store a resume reads; a copy would lose a refreshed token and
 *   duplicate secrets on disk, and buys no secrecy since the agent may read
 *   its own credentials anyway.
 * - paths the project config adds (`sandboxPaths.writable`).
 *
 * Protected (read-only, outside every writable bind, at directory
 * granularity): the tracker, the run directory (the control socket stays
 * reachable: connecting to a socket is not a write), the rest of `.git`
 * (config, hooks, other refs, packed-refs), other tickets' worktrees, the
 * oracle and proofloop's install dir. A configured writable path that would
 * cover one of them is refused.
 *
 * Capabilities: bwrap started by root keeps every capability unless told
 * otherwise, and with them the agent can remount "read-only" binds writable;
 * so always --cap-drop ALL, plus a user namespace with nested ones disabled
 * where the kernel allows it. --new-session (no TIOCSTI into our terminal),
 * --die-with-parent (an engine killed with SIGKILL takes its agents along),
 * --unshare-pid (nothing the agent starts outlives the sandbox's init).
 * The network stays: agents need their model API.
 */
import {execFileSync} from 'node:child_process';
import {existsSync, mkdirSync} from 'node:fs';
import path from 'node:path';
import {agentObjectEnv} from './agent-objects.js';
import {gitWrites} from './git-writes.js';
import {configHomes} from './registry.js';
import {findOnPath} from '../lib/which.js';

export const SANDBOX_SETTINGS = ['auto', 'bwrap', 'none'] as const;
export type SandboxSetting = (typeof SANDBOX_SETTINGS)[number];

export const INSTALL_FIX = 'apt-get install bubblewrap';

/** What `bwrap` can do here, found by running it once. */
export type SandboxProbe = {ok: true; bwrap: string; version: string; userns: boolean} | {ok: false; reason: string};

/** The engine's decision for a run: bwrap (with what it needs), or none (and why). */
export type SandboxDecision = {mode: 'bwrap'; bwrap: string; version: string; userns: boolean} | {mode: 'none'; reason: string; warning?: string};

/** Everything a run's sandbox needs to know besides the attempt's worktree. */
export type SandboxPolicy = {
	bwrap: string;
	/** Whether --unshare-user works here (it may not where user namespaces are off). */
	userns: boolean;
	repoRoot: string;
	/** Directories no writable bind may cover (tracker, run dir, .git, oracle, install dir). */
	protect: string[];
	/** Extra read-only paths (needed when they are under /tmp, which the sandbox replaces). */
	readable: string[];
	/** Extra writable paths from the config. */
	writable: string[];
	/** Kept read-only even inside a writable path (the tripwire cache inside a writable ~/.cache). */
	readOnly?: string[];
	/** This attempt's worker channel (`proofloop ticket` must reach it): bound in alone. Absent: no channel (reviewers, planners, healers). */
	socket?: string;
	/** Directories replaced by an empty read-only mount in the box: the run's channels (the human channel, other attempts' sockets). */
	hide?: string[];
	/** Size cap of the private /tmp. */
	tmpBytes?: number;
	/** A reader (a plan's planner, researcher or reviewer): its checkout and git metadata stay read-only too. */
	readOnlyWorktree?: boolean;
	/** Where HOME and the CLIs' own variables (CODEX_HOME, XDG_*) point. */
	env: Record<string, string | undefined>;
};

export class SandboxError extends Error {
	constructor(message: string) {
		super(message);
		this.name = 'SandboxError';
	}
}

const DEFAULT_TMP_BYTES = 1024 * 1024 * 1024;

const namespaceFlags = (userns: boolean): string[] => [
	...(userns ? ['--unshare-user', '--disable-userns'] : []),
	'--unshare-pid',
	'--unshare-ipc',
	'--new-session',
	'--die-with-parent',
	'--cap-drop',
	'ALL',
];

/** `bwrap` on PATH (or PROOFLOOP_BWRAP, which names the executable to use). */
export function findBwrap(env: Record<string, string | undefined> = process.env): string | undefined {
	const named = env['PROOFLOOP_BWRAP'];
	if (named) return named;
	return findOnPath('bwrap', env['PATH']);
}

const probes = new Map<string, SandboxProbe>();

/**
 * Whether bubblewrap really works here: found is not enough (user namespaces
 * may be off, an AppArmor profile may refuse a copied binary). Runs the exact
 * flags an attempt uses around `true`, once per process and executable.
 */
export function probeBwrap(env: Record<string, string | undefined> = process.env): SandboxProbe {
	const bwrap = findBwrap(env);
	if (!bwrap) return {ok: false, reason: 'bwrap (bubblewrap) is not installed (not found on PATH)'};
	const cached = probes.get(bwrap);
	if (cached) return cached;
	const run = (args: string[]): {ok: true; out: string} | {ok: false; out: string} => {
		try {
			return {ok: true, out: execFileSync(bwrap, args, {encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 10_000})};
		} catch (error) {
			const e = error as {stderr?: string; message: string};
			return {ok: false, out: (e.stderr || e.message).trim().split('\n')[0] ?? ''};
		}
	};
	const version = run(['--version']);
	let probe: SandboxProbe;
	if (!version.ok) {
		probe = {ok: false, reason: `${bwrap} --version failed: ${version.out}`};
	} else {
		const base = ['--ro-bind', '/', '/', '--dev', '/dev', '--proc', '/proc', '--tmpfs', '/tmp'];
		const full = run([...base, ...namespaceFlags(true), '--', 'true']);
		if (full.ok) probe = {ok: true, bwrap, version: version.out.trim(), userns: true};
		else {
			const noUserns = run([...base, ...namespaceFlags(false), '--', 'true']);
			probe = noUserns.ok
				? {ok: true, bwrap, version: version.out.trim(), userns: false}
				: {ok: false, reason: `${bwrap} cannot create a sandbox here: ${full.out}`};
		}
	}
	probes.set(bwrap, probe);
	return probe;
}

/**
 * The config's `sandbox` setting, decided: `auto` and `bwrap` are bwrap, and
 * refused (with the fix) where it cannot run; `none`, or a run given
 * `--unsandboxed`, is none: unsandboxed is a choice someone wrote down, never
 * a fallback (the demo passes `unsandboxed` where bwrap is missing).
 */
export function resolveSandbox(
	setting: SandboxSetting,
	env: Record<string, string | undefined> = process.env,
	opts: {unsandboxed?: boolean} = {},
): SandboxDecision {
	if (setting === 'none') return {mode: 'none', reason: 'the config says "sandbox": "none"'};
	if (opts.unsandboxed) return {mode: 'none', reason: 'the run was started with --unsandboxed'};
	const probe = probeBwrap(env);
	if (probe.ok) return {mode: 'bwrap', bwrap: probe.bwrap, version: probe.version, userns: probe.userns};
	const said = setting === 'bwrap' ? 'the config says "sandbox": "bwrap"' : 'no working sandbox here';
	throw new SandboxError(
		`${said}: ${probe.reason}; proofloop does not run agents unsandboxed unless told to\n` +
			`  fix: ${INSTALL_FIX} (then \`proofloop doctor\` says whether it runs here), or set "sandbox": ` +
			`"none" in .proofloop/config.json (or run with --unsandboxed) to run agents unsandboxed on purpose`,
	);
}

const isWithin = (child: string, parent: string): boolean => {
	const rel = path.relative(parent, child);
	return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
};

/** `~` and `~/x` in config paths mean the user's home. */
export function expandHome(p: string, home: string | undefined): string {
	if (home && (p === '~' || p.startsWith('~/'))) return path.join(home, p.slice(1));
	return path.resolve(p);
}

/** A writable path that would cover a protected one, or undefined. */
export function coveredProtected(writable: string, protect: string[]): string | undefined {
	return protect.find(p => isWithin(path.resolve(p), path.resolve(writable)));
}

/** Refuse configured writable paths that would open up what must stay read-only. */
export function checkWritable(writable: string[], protect: string[]): void {
	for (const w of writable) {
		const hit = coveredProtected(w, protect);
		if (hit) {
			throw new SandboxError(
				`sandboxPaths.writable: ${w} contains ${hit}, which agents must not write\n  fix: name a narrower directory (outside the repository, its .git, ` +
					`the tracker, the run directory and proofloop's install dir)`,
			);
		}
	}
}

/**
 * The start of every box: the whole filesystem read-only, a private /tmp, and
 * what that /tmp would hide but the box must read: the repository (its prompt,
 * the tracker, the `proofloop` shim), proofloop itself, node, HOME.
 */
export function readOnlyRoot(policy: SandboxPolicy): string[] {
	const tmp = '/tmp';
	const args: string[] = ['--ro-bind', '/', '/', '--dev', '/dev', '--proc', '/proc', '--size', String(policy.tmpBytes ?? DEFAULT_TMP_BYTES), '--tmpfs', tmp];
	const pathDirs = (policy.env['PATH'] ?? '').split(path.delimiter).filter(d => path.isAbsolute(d));
	const readable = [policy.repoRoot, ...policy.readable, ...pathDirs, policy.env['HOME'] ?? '']
		.filter(p => p && path.isAbsolute(p) && isWithin(p, tmp) && p !== tmp && existsSync(p))
		.map(p => path.resolve(p));
	// Parents first; a child of a path already bound is visible through it.
	const bound: string[] = [];
	for (const p of [...new Set(readable)].sort((a, b) => a.length - b.length)) {
		if (bound.some(parent => isWithin(p, parent))) continue;
		bound.push(p);
		args.push('--ro-bind', p, p);
	}
	return args;
}

export type SandboxedCommand = {file: string; args: string[]; env: Record<string, string>};

/**
 * The bwrap command line that runs `file args` in `worktree` under `policy`.
 * Mount order matters: later binds sit on top of earlier ones, so the
 * read-only root comes first, the private /tmp and what must stay visible in
 * it next, the writable binds after, and the read-only files inside writable
 * binds last.
 */
export function sandboxCommand(policy: SandboxPolicy, opts: {worktree: string; agent: string; file: string; args: string[]}): SandboxedCommand {
	const worktree = path.resolve(opts.worktree);
	const tmp = '/tmp';
	const args: string[] = readOnlyRoot(policy);

	const git = gitWrites(worktree);
	const writable: string[] = policy.readOnlyWorktree ? [] : [worktree];
	const readOnlyInside: string[] = [];
	let objectEnv: Record<string, string> = {};
	if (policy.readOnlyWorktree) {
		// Nothing of the checkout is bound writable: the read-only root covers it.
	} else if (git.ownRepo) {
		readOnlyInside.push(git.dotGit);
	} else if (git.gitDir && git.commonDir) {
		readOnlyInside.push(git.dotGit);
		writable.push(git.gitDir);
		for (const file of ['HEAD', 'commondir', 'gitdir']) readOnlyInside.push(path.join(git.gitDir, file));
		// The shared object store stays read-only: the agent's git writes to a store in its gitdir (agent-objects.ts).
		objectEnv = agentObjectEnv(git.gitDir, git.commonDir);
		for (const dir of [git.refDir, git.logDir]) {
			if (!dir) continue;
			// A branch whose ref is packed may have no loose directory yet; git would create it.
			mkdirSync(dir, {recursive: true});
			writable.push(dir);
		}
	}
	for (const home of configHomes(opts.agent, policy.env)) {
		if (home.kind === 'dir') {
			try {
				mkdirSync(home.dir, {recursive: true});
			} catch {
				continue;
			}
		}
		if (existsSync(home.dir) && !coveredProtected(home.dir, policy.protect)) writable.push(home.dir);
	}
	for (const w of policy.writable) if (existsSync(w)) writable.push(path.resolve(w));
	for (const w of writable) {
		// The worktree and git's dirs sit inside protected dirs (the repo, .git), which is
		// fine; a writable bind that covers a protected dir is what must never happen.
		const hit = coveredProtected(w, policy.protect);
		if (hit) throw new SandboxError(`refusing to sandbox: the writable path ${w} would cover ${hit}, which agents must not write`);
		args.push('--bind', w, w);
	}
	for (const p of readOnlyInside) if (existsSync(p)) args.push('--ro-bind', p, p);
	for (const p of policy.readOnly ?? []) if (existsSync(p)) args.push('--ro-bind', p, p);
	// Last: the channels' directory goes empty (and read-only) in the box, with only this attempt's socket put back.
	for (const p of policy.hide ?? []) args.push('--size', '65536', '--tmpfs', p);
	if (policy.socket && existsSync(policy.socket)) args.push('--bind', policy.socket, policy.socket);
	for (const p of policy.hide ?? []) args.push('--remount-ro', p);

	args.push('--chdir', worktree, ...namespaceFlags(policy.userns), '--', opts.file, ...opts.args);
	// IS_SANDBOX: what Claude Code asks of a root user before it skips permission prompts;
	// inside this box, with every capability dropped, it is true.
	return {file: policy.bwrap, args, env: {TMPDIR: tmp, IS_SANDBOX: '1', ...objectEnv}};
}
