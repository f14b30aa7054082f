import type {Ticket} from '../tracker/ticket.js';
import type {EngineContext} from './context.js';
import {boxVisible, preflight, renderPreflight} from './preflight.js';

/**
 * A run that looks as if its program never started (exit 127, bwrap's "execvp"
 * line) stops dispatch uncharged, so it is believed only when the preflight
 * agrees now: an agent can print those words or exit 127 itself, and a check's
 * script is in the agent's worktree. A program that starts: the attempt is charged.
 */
export async function confirmCannotStart(ctx: EngineContext, ticket: Ticket, said: string | undefined): Promise<string | undefined> {
	if (said === undefined) return undefined;
	const env = ctx.baseEnv;
	const box = ctx.sandbox ? {box: {visible: boxVisible(ctx.repoRoot, ctx.config, env)}} : {};
	const problems = await preflight({repoRoot: ctx.repoRoot, config: ctx.config, tickets: [ticket], env, ...box});
	if (problems.length > 0) return `${said}\n${renderPreflight(problems)}`;
	ctx.log.append({
		type: 'warning',
		ticket: ticket.id,
		message: `${said.split('\n')[0]}; but every program of the run starts (the preflight passes now), so it is the attempt's own failure and is charged`,
	});
	return undefined;
}
