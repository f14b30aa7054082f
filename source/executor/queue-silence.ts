import type {EngineContext} from '../core/context.js';

/**
 * Silence is shown, not punished, for a queued attempt too: after stallMinutes
 * without a word, before a worker took the job, a warning says no worker has;
 * after, agent.stalled as for a local agent. Once per silence.
 */
export function watchSilence(ctx: EngineContext, ticket: string, attempt: number, attemptId: string): {heard: (host?: string) => void; stop: () => void} {
	const stallMs = ctx.config.stallMinutes * 60_000;
	let last = Date.now();
	let said = false;
	let host: string | undefined;
	const timer = setInterval(
		() => {
			if (said || Date.now() - last < stallMs) return;
			said = true;
			const silentSeconds = Math.round((Date.now() - last) / 1000);
			if (host !== undefined) ctx.log.append({type: 'agent.stalled', ticket, attempt, silentSeconds});
			else
				ctx.log.append({
					type: 'warning',
					ticket,
					message: `no worker has taken ${attemptId} for ${silentSeconds} s: is a \`proofloop worker\` running on this run's queue and remote?`,
				});
		},
		Math.min(stallMs, 1000),
	);
	return {
		heard: (from?: string) => {
			if (from !== undefined) host = from;
			last = Date.now();
			said = false;
		},
		stop: () => clearInterval(timer),
	};
}
