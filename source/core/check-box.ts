import {existsSync, mkdirSync} from 'node:fs';
import path from 'node:path';
import {gitWrites} from '../agents/git-writes.js';
import {coveredProtected, readOnlyRoot, type SandboxPolicy} from '../agents/sandbox.js';
import {runShell, type ShellResult} from './shell.js';

/**
 * What a check may write, as an agent may: its checkout (but the `.git` file
 * that says where its repository is), a private /tmp, the caches tools fill
 * (~/.npm, ~/.cache, but proofloop's own), and `sandboxPaths.writable`.
 * Everything else is read-only: a check that could write ~/.npmrc, /etc/npmrc,
 * a site-packages `.pth`, pip's or git's config, would change what every
 * later check and verify runs.
 */
function writableForChecks(sandbox: SandboxPolicy, cwd: string): string[] {
	const home = sandbox.env['HOME'];
	const cache = sandbox.env['XDG_CACHE_HOME'] || (home ? path.join(home, '.cache') : undefined);
	const caches = [...(home ? [path.join(home, '.npm')] : []), ...(cache ? [cache] : [])].filter(dir => {
		try {
			mkdirSync(dir, {recursive: true});
			return true;
		} catch {
			return false;
		}
	});
	return [cwd, ...caches, ...sandbox.writable].map(p => path.resolve(p)).filter(p => existsSync(p) && !coveredProtected(p, sandbox.protect));
}

const isWithin = (child: string, parent: string): boolean => {
	const rel = path.relative(parent, child);
	return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
};

/** Read-only again inside the writable binds: what defines done, and proofloop's tripwire cache. */
function readOnlyForChecks(sandbox: SandboxPolicy, cwd: string): string[] {
	return [gitWrites(cwd).dotGit, ...sandbox.protect.filter(p => !isWithin(cwd, p)), ...(sandbox.readOnly ?? [])].filter(p => existsSync(p));
}

/**
 * Checks and verify run code an agent wrote (its tests, its scripts) outside
 * the agent's box, with the run's environment: that is their job. In a
 * sandboxed run each one runs in a box like the agent's: the filesystem
 * read-only but what a check writes (writableForChecks), the run's channels
 * out of sight (the human channel's key, other attempts' sockets), its own
 * pid namespace (no /proc/<engine>/root back to it), a new session (no
 * keystrokes pushed into our terminal), no capabilities (no remounting a
 * read-only bind). Unsandboxed runs run them as before.
 * `readOnlyFiles`: files inside the checkout bound read-only on top.
 */
export function checkBox(sandbox: SandboxPolicy | undefined, cwd: string, readOnlyFiles: readonly string[] = []): string[] | undefined {
	if (!sandbox?.hide?.length) return undefined;
	const dir = path.resolve(cwd);
	return [
		sandbox.bwrap,
		...readOnlyRoot(sandbox),
		...writableForChecks(sandbox, dir).flatMap(p => ['--bind', p, p]),
		...readOnlyForChecks(sandbox, dir).flatMap(p => ['--ro-bind', p, p]),
		// Base's test code (check-results.ts): a new file cannot rewrite it while the runner runs.
		...readOnlyFiles.flatMap(p => ['--ro-bind', p, p]),
		...sandbox.hide.flatMap(dir => ['--size', '65536', '--tmpfs', dir, '--remount-ro', dir]),
		'--setenv',
		'TMPDIR',
		'/tmp',
		'--chdir',
		dir,
		...(sandbox.userns ? ['--unshare-user'] : []),
		'--unshare-pid',
		'--new-session',
		'--die-with-parent',
		'--cap-drop',
		'ALL',
		'--',
	];
}

/** A check, baseline or verify command in a checkout, the one way they run: boxed as checks are, within checkTimeoutSeconds. */
export function runCheck(
	ctx: {sandbox?: SandboxPolicy | undefined; config: {checkTimeoutSeconds: number}},
	opts: {command: string; cwd: string; env: Record<string, string>; logFile: string; label: string; readOnlyFiles?: readonly string[]},
): Promise<ShellResult> {
	const {readOnlyFiles, ...shell} = opts;
	return runShell({...shell, timeoutMs: ctx.config.checkTimeoutSeconds * 1000, box: checkBox(ctx.sandbox, opts.cwd, readOnlyFiles)});
}
