/**
 * A planner is an agent, and a ticket's `checks` replace the config's: so a
 * planned ticket may add checks, never drop one of the config's, and none of
 * its checks may be one that cannot fail (`true`, `exit 0`, `npm test || true`).
 * The engine keeps the exit-code rule for a command with no test summary, so
 * `proofloop run` refuses such a check too (core/batch.ts).
 */
import {cannotFail} from '../core/cannot-fail.js';

export {cannotFail};

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
