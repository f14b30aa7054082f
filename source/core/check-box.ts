import {existsSync} from 'node:fs';
import path from 'node:path';
import type {SandboxPolicy} from '../agents/sandbox.js';

/**
 * What a check must not write, though the rest stays writable: the run's
 * protected dirs but the repository itself (the checkout the check runs in is
 * there): `.git` (its config and hooks would run code in the engine's own git
 * commands, its objects are what base means), the tracker, the run directory,
 * the oracle, proofloop; the main checkout's config; the user's git config.
 * Only paths that exist can be bound: a missing ~/.gitconfig stays creatable.
 */
function readOnlyForChecks(sandbox: SandboxPolicy): string[] {
	const home = sandbox.env['HOME'];
	const xdg = sandbox.env['XDG_CONFIG_HOME'] || (home ? path.join(home, '.config') : undefined);
	return [
		...sandbox.protect.filter(p => path.resolve(p) !== path.resolve(sandbox.repoRoot)),
		path.join(sandbox.repoRoot, '.proofloop', 'config.json'),
		...(home ? [path.join(home, '.gitconfig')] : []),
		...(xdg ? [path.join(xdg, 'git')] : []),
		...(sandbox.readOnly ?? []),
	].filter(p => existsSync(p));
}

/**
 * Checks and verify run code an agent wrote (its tests, its scripts) outside
 * the agent's box, with the run's whole environment: that is their job. What
 * they must not reach is the run's channels (the human channel's key, other
 * attempts' worker sockets). In a sandboxed run each one runs in a thin box:
 * the whole filesystem as it is, writable, except the channels' directory,
 * which is empty, and what defines done (readOnlyForChecks); its own pid namespace (no /proc/<engine>/root back to it);
 * a new session (no keystrokes pushed into our terminal). Unsandboxed runs
 * run them as before.
 */
export function checkBox(sandbox: SandboxPolicy | undefined): string[] | undefined {
	if (!sandbox?.hide?.length) return undefined;
	return [
		sandbox.bwrap,
		'--bind',
		'/',
		'/',
		'--dev-bind',
		'/dev',
		'/dev',
		'--proc',
		'/proc',
		...readOnlyForChecks(sandbox).flatMap(p => ['--ro-bind', p, p]),
		...sandbox.hide.flatMap(dir => ['--size', '65536', '--tmpfs', dir, '--remount-ro', dir]),
		...(sandbox.userns ? ['--unshare-user'] : []),
		'--unshare-pid',
		'--new-session',
		'--die-with-parent',
		'--',
	];
}
