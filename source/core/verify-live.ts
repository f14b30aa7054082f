import {setTimeout as sleep} from 'node:timers/promises';
import {objectStoreProblem} from '../git/object-integrity.js';
import {commonDir} from '../git/worktrees.js';
import {sha256} from '../lib/sha256.js';
import {runCheck} from './check-box.js';
import type {EngineContext} from './context.js';
import {gist, lastLines} from './shell.js';
import {inVerifyCheckout} from './verify-checkout.js';

/**
 * The live proof of a merged ticket: its verify commands in a checkout of
 * exactly the merge (verify-checkout.ts), a clean one for each try, retried (verifyRetries); the digest covers the sha and every output.
 */
export async function verifyLive(
	ctx: EngineContext,
	id: string,
	attempt: number,
	sha: string,
	commands: string[],
	env: Record<string, string>,
	logFile: string,
): Promise<{ok: true; digest: string; tries: number} | {ok: false; reason: string; tries: number}> {
	const tries = ctx.config.verifyRetries + 1;
	let lastReason = '';
	for (let t = 1; t <= tries; t++) {
		const outputs: string[] = [];
		const failed = await inVerifyCheckout(ctx, `${id}.verify`, sha, async checkout => {
			for (const command of commands) {
				const result = await runCheck(ctx, {command, cwd: checkout, env, logFile, label: `verify (try ${t}/${tries})`});
				outputs.push(`$ ${command}\n${result.output}`);
				if (!result.ok)
					return `\`${command}\` ${result.timedOut ? 'timed out' : `exited ${result.exitCode}`}: ${gist(result.output)}\n${lastLines(result.output, 25)}`;
			}
			// What the verify commands ran must be what base holds (see object-integrity.ts).
			return objectStoreProblem(await commonDir(ctx.repoRoot), {packs: !ctx.sandbox});
		});
		if (!failed) return {ok: true, digest: sha256(`${sha}\n${outputs.join('\n')}`), tries: t};
		lastReason = failed;
		if (ctx.stopping()) break;
		if (t < tries) await sleep(ctx.config.verifyRetryDelaySeconds * 1000);
	}
	return {ok: false, reason: lastReason, tries};
}
