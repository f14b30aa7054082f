/**
 * A planner is an agent, and a ticket's `checks` replace the config's: so a
 * planned ticket may add checks, never drop one of the config's, and none of
 * its checks may be one that cannot fail (`true`, `exit 0`, `npm test || true`).
 * The engine keeps the exit-code rule for a command with no test summary, so
 * this is the only place such a check is stopped.
 */

// A command that ends with status 0 whatever it ran: a no-op, an echo, an exit 0, a `cat` or `tee` a pipe ends in.
const NO_OP = /^(?:\(\s*)?(?:true|:|\/(?:usr\/)?bin\/true|exit(?:\s+0)?|echo\b.*|printf\b.*|cat|tee\b.*)(?:\s*\))?$/;

/** True when the command's status is 0 whatever it runs: it is a no-op, or it ends in `|| true`, `; exit 0`, `| cat`. */
export function cannotFail(command: string): boolean {
	const text = command.trim().replace(/\s+/g, ' ');
	if (text === '' || NO_OP.test(text)) return true;
	// The part after the last `||`, `|`, `;`, `&` or newline decides the status (an `&&` does not end a part).
	const parts = command.replace(/&&/g, '\u0000').split(/\|\||\||;|\n|&/);
	const last = parts[parts.length - 1]!.trim().replace(/\s+/g, ' ');
	return parts.length > 1 && (last === '' ? false : NO_OP.test(last));
}

/** Why a planned `checks` list would weaken the finish line; empty when it does not (or is unset: the config's apply). */
export function weakChecks(checks: readonly string[] | undefined, configChecks: readonly string[]): string[] {
	if (checks === undefined) return [];
	const reasons: string[] = [];
	if (checks.length === 0 && configChecks.length === 0)
		reasons.push('its checks are empty, so nothing could prove it done; leave checks out or name a check that can fail');
	for (const kept of configChecks)
		if (!checks.includes(kept))
			reasons.push(`its checks drop the config's check \`${kept}\`; a planned ticket may add checks, never drop one (leave checks out to keep the config's)`);
	for (const check of checks)
		if (cannotFail(check)) reasons.push(`its check \`${check}\` cannot fail, so it proves nothing; write a check that fails when the acceptance does not hold`);
	return reasons;
}
