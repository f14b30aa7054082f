import type {EngineEvent} from '../events.js';
import type {NotifyKind} from './config.js';

/** What a notifier receives (stdin JSON, webhook fields): the kind, why, the run, and the engine event behind it. */
export type Notification = {
	kind: NotifyKind;
	/** Why a person is needed, or how the run ended. */
	reason: string;
	/** One line for a person: what happened and where to look. */
	message: string;
	runId: string;
	batch: string;
	repo: string;
	at: string;
	ticket?: string;
	attempt?: number;
	/** The oracle's final verdict, when the run is over. */
	verdict?: {exit: number; verdict: string; summary: string};
	event: EngineEvent;
};

export type RunInfo = {runId: string; batch: string; repo: string};

type Verdict = NonNullable<Notification['verdict']>;

const oneLine = (text: string): string => (text.split('\n')[0] ?? '').slice(0, 300);

/**
 * Which engine events a person is told about. `lastVerdict` is the run's last
 * oracle verdict (the final one precedes run.stopped).
 */
export function notificationOf(event: EngineEvent, run: RunInfo, lastVerdict: Verdict | undefined): Notification | undefined {
	const base = {...run, at: event.at, event};
	switch (event.type) {
		case 'run.stopped': {
			if (event.reason === 'signal') return undefined; // a person stopped it: they know
			const verdict = lastVerdict ?? (event.oracleExit === undefined ? undefined : {exit: event.oracleExit, verdict: '', summary: ''});
			const judged = verdict
				? `oracle exit ${verdict.exit}${verdict.verdict ? ` (${verdict.verdict})` : ''}${verdict.summary ? `: ${oneLine(verdict.summary)}` : ''}`
				: 'no verdict';
			const finished = event.reason === 'finished';
			return {
				...base,
				kind: finished ? 'run.finished' : 'run.stuck',
				reason: event.reason,
				message: `run ${run.runId} ${finished ? 'finished' : `stopped short (${event.reason})`}: ${judged}${event.detail ? `; ${oneLine(event.detail)}` : ''}`,
				...(verdict ? {verdict} : {}),
			};
		}
		case 'ticket.blocked':
			if (event.challenged) return undefined; // the next attempt looks for another path first
			return {
				...base,
				kind: 'person.needed',
				reason: 'blocked',
				ticket: event.ticket,
				attempt: event.attempt,
				message: `${event.ticket} is blocked by an external wall: ${oneLine(event.wall)}`,
			};
		case 'heal.result':
			if (event.outcome !== 'refused') return undefined;
			return {...base, kind: 'person.needed', reason: 'heal.refused', message: `heal ${event.heal} was refused: ${oneLine(event.reason)}`};
		case 'tamper.refused':
			return {
				...base,
				kind: 'person.needed',
				reason: 'tamper.refused',
				...(event.ticket === undefined ? {} : {ticket: event.ticket}),
				...(event.attempt === undefined ? {} : {attempt: event.attempt}),
				message: `refused \`${event.verb}\` on the ${event.channel} channel${event.ticket ? ` from ${event.ticket}` : ''}: ${oneLine(event.detail)}`,
			};
		case 'warning':
			// The engine gives up on an error: the run ends with no run.stopped, and resumes on the next `proofloop run`.
			if (event.fatal)
				return {
					...base,
					kind: 'run.stuck',
					reason: 'error',
					message: `run ${run.runId} stopped on an error: ${oneLine(event.message)}; \`proofloop run\` resumes it`,
				};
			if (!event.budget) return undefined;
			return {...base, kind: 'person.needed', reason: `budget.${event.budget}`, message: oneLine(event.message)};
		default:
			return undefined;
	}
}
