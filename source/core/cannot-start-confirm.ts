import type {AgentConfig} from '../agents/config.js';
import type {Ticket} from '../tracker/ticket.js';
import {agentOf} from './config.js';
import type {EngineContext} from './context.js';
import {boxVisible, checkAgent, checkCommand, renderPreflight, type PreflightInput} from './preflight.js';
import {profileFor} from './routing.js';

/** What could not start: the attempt's agent, or one check or verify command. */
export type CannotStartWhat = {agent: AgentConfig} | {command: string};

/** The agent an attempt runs: its routed profile's, else the config's "agent". */
export function attemptAgent(ctx: EngineContext, ticket: Ticket, attempt: number): AgentConfig {
	const profile = profileFor(ctx.config, ticket, attempt);
	return (profile === undefined ? undefined : ctx.config.engines[profile]) ?? agentOf(ctx.config);
}

/**
 * A run that looks as if its program never started (exit 127, bwrap's "execvp"
 * line) stops dispatch uncharged, so it is believed only when the preflight of
 * that same program agrees now: an agent can print those words or exit 127
 * itself, and a check's script is in the agent's worktree. A script "not in
 * base" is not asked again: the run's preflight found it there, so what took it
 * since is a change (an agent's, in its worktree or in git's objects), not a
 * machine that lacks a program. A program that starts: the attempt is charged.
 */
export async function confirmCannotStart(ctx: EngineContext, ticket: Ticket, said: string | undefined, what: CannotStartWhat): Promise<string | undefined> {
	if (said === undefined) return undefined;
	const env = ctx.baseEnv;
	const box = ctx.sandbox ? {box: {visible: boxVisible(ctx.repoRoot, ctx.config, env)}} : {};
	const input: PreflightInput = {repoRoot: ctx.repoRoot, config: ctx.config, tickets: [ticket], env, ...box};
	const problems =
		'agent' in what ? await checkAgent(input, 'worker agent', what.agent) : await checkCommand(input, `\`${what.command}\``, what.command, false);
	if (problems.length > 0) return `${said}\n${renderPreflight(problems)}`;
	ctx.log.append({
		type: 'warning',
		ticket: ticket.id,
		message: `${said.split('\n')[0]}; but ${'agent' in what ? 'the agent' : `\`${what.command}\``} starts (the preflight passes now), so it is the attempt's own failure and is charged`,
	});
	return undefined;
}
