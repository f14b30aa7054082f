import type {EngineEvent} from './events.js';
import {tamperLine} from './run-state.js';
import {describeKept} from './user-checkout.js';

const clock = (ms: number): string => {
	const s = Math.max(0, Math.floor(ms / 1000));
	return `${String(Math.floor(s / 60)).padStart(2, '0')}:${String(s % 60).padStart(2, '0')}`;
};

/** A multi-line message (problem, then "fix:") on one greppable line. */
const oneLine = (text: string): string =>
	text
		.split('\n')
		.map(line => line.trim())
		.filter(Boolean)
		.join(' | ');

const firstLine = (text: string): string => (text.split('\n')[0] ?? '').slice(0, 200);

/** One plain, greppable line per event worth seeing (headless mode, CI, pipes). */
export function formatEvent(event: EngineEvent, startedAt: number, sandbox?: 'bwrap' | 'none'): string | undefined {
	const t = `[${clock(Date.parse(event.at) - startedAt)}]`;
	switch (event.type) {
		case 'run.started':
			return (
				`${t} run ${event.runId}: batch '${event.batch}', ${event.ticketIds.length} tickets, ` +
				`base ${event.base} @ ${event.baseCommit.slice(0, 7)}${event.sandbox === 'none' ? ' — UNSANDBOXED run' : ''}`
			);
		case 'run.resumed':
			return `${t} run resumed (pid ${event.pid})${event.sandbox === 'none' ? ' — UNSANDBOXED run' : ''}`;
		case 'tamper.refused':
			return `${t} ${tamperLine(event)}`;
		case 'attempt.started':
			return `${t} ${event.ticket}  attempt ${event.attempt}/${event.maxAttempts} started (${event.agent})`;
		case 'agent.exited':
			return `${t} ${event.ticket}  agent ${event.ok ? 'finished' : `failed: ${firstLine(event.reason)}`} (${(event.durationMs / 1000).toFixed(1)}s)`;
		case 'checks.result':
			return `${t} ${event.ticket}  checks ${event.ok ? 'passed' : `failed: ${firstLine(event.reason ?? '')}`}`;
		case 'guard.result':
			return event.ok ? undefined : `${t} ${event.ticket}  guard refused: ${firstLine(event.reason ?? '')}`;
		case 'merge.done':
			return `${t} ${event.ticket}  merged ${event.sha.slice(0, 7)}`;
		case 'verify.result':
			return `${t} ${event.ticket}  verify ${event.ok ? 'passed' : `failed after ${event.tries} tries: ${firstLine(event.reason ?? '')}`}`;
		case 'attempt.failed':
			return `${t} ${event.ticket}  attempt ${event.attempt} failed at ${event.stage}: ${firstLine(event.reason)}`;
		case 'attempt.interrupted':
			return `${t} ${event.ticket}  attempt ${event.attempt} interrupted: ${event.reason}`;
		case 'ticket.done':
			return `${t} ${event.ticket}  DONE (merge ${event.mergeCommit.slice(0, 7)}, verified)`;
		case 'ticket.status':
			return event.status === 'failed' ? `${t} ${event.ticket}  FAILED: ${firstLine(event.reason ?? '')}` : undefined;
		case 'oracle.verdict':
			if (!event.final) return undefined;
			return (
				`${t} oracle: exit ${event.exit} (${event.verdict})${sandbox === 'none' ? ' — UNSANDBOXED run' : ''}: ` +
				`${event.summary}${event.holding.map(h => `\n          ${h.id}  ${h.status}: ${firstLine(h.reason)}`).join('')}`
			);
		case 'checkout.kept':
			// Whole, never cut: it carries the command that catches the checkout up.
			return `${t} WARNING: ${describeKept(event)}`;
		case 'warning':
			// Whole: a warning's fix is usually its last words.
			return `${t} warning${event.ticket ? ` ${event.ticket}` : ''}: ${event.message.trimEnd().replace(/\n/g, '\n          ')}`;
		case 'ticket.filed':
			return `${t} ${event.ticket}  filed by ${event.from}'s worker: ${event.title}${event.blocks ? ` (blocks ${event.blocks})` : ''}`;
		case 'agent.stalled':
			return `${t} ${event.ticket}  stalled: no output for ${event.silentSeconds}s`;
		case 'attempt.limited':
			return `${t} ${event.ticket}  hit a usage limit; waits until ${event.until} (no attempt spent): ${firstLine(event.reason)}`;
		case 'attempt.parked':
			return `${t} ${event.ticket}  attempt ${event.attempt} parked: ${firstLine(event.reason)}`;
		case 'ticket.blocked':
			return `${t} ${event.ticket}  claims a wall: ${firstLine(event.wall)}${event.challenged ? ' (first attempt: challenged)' : ''}`;
		case 'heal.started':
			return `${t} heal ${event.heal}: the run would stop short of oracle 0; asking the healer`;
		case 'heal.result':
			return `${t} heal ${event.heal} ${event.outcome}: ${firstLine(event.reason)}${event.files.length > 0 ? ` (${event.files.join(', ')})` : ''}`;
		case 'intervention':
			return `${t} ${event.kind}${event.ticket ? ` ${event.ticket}` : ''} by ${event.by}${event.reason ? `: ${firstLine(event.reason)}` : ''}`;
		case 'base.foreign':
			return (
				`${t} BASE MOVED outside the merge queue: ` +
				`${event.commits.map(c => `${c.sha.slice(0, 12)} ${c.author}: ${c.subject}`).join('; ') || event.tip.slice(0, 12)}; dispatch stopped`
			);
		case 'tracker.broken':
			return `${t} TRACKER BROKEN: ${oneLine(event.message)} (the run stops in ${event.graceSeconds}s unless fixed)`;
		case 'tracker.fixed':
			return `${t} tracker reads cleanly again`;
		case 'state.committed':
			return `${t} ticket state committed on ${event.base} @ ${event.sha.slice(0, 7)} (${event.files.length} ticket file${event.files.length === 1 ? '' : 's'})`;
		case 'run.halted':
			return `${t} RUN HALTED (${event.cause}): ${oneLine(event.message)}`;
		case 'run.stopped':
			return `${t} run stopped: ${event.reason}${event.detail ? ` (${firstLine(event.detail)})` : ''}`;
		default:
			return undefined;
	}
}

/** A printer for one stream of events: remembers when the run started and how its agents run (the verdict line says UNSANDBOXED). */
export function plainPrinter(startedAt?: number): (event: EngineEvent) => string | undefined {
	let start = startedAt;
	let sandbox: 'bwrap' | 'none' | undefined;
	return event => {
		start ??= Date.parse(event.at);
		if ((event.type === 'run.started' || event.type === 'run.resumed') && event.sandbox) sandbox = event.sandbox;
		return formatEvent(event, start, sandbox);
	};
}
