import type {SandboxPolicy} from '../agents/sandbox.js';

/**
 * Checks and verify run code an agent wrote (its tests, its scripts) outside
 * the agent's box, with the run's whole environment: that is their job. What
 * they must not reach is the run's channels (the human channel's key, other
 * attempts' worker sockets). In a sandboxed run each one runs in a thin box:
 * the whole filesystem as it is, writable, except the channels' directory,
 * which is empty; its own pid namespace (no /proc/<engine>/root back to it);
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
		...sandbox.hide.flatMap(dir => ['--size', '65536', '--tmpfs', dir, '--remount-ro', dir]),
		...(sandbox.userns ? ['--unshare-user'] : []),
		'--unshare-pid',
		'--new-session',
		'--die-with-parent',
		'--',
	];
}
