import {existsSync} from 'node:fs';
import path from 'node:path';
import type {EngineEvent} from './events.js';
import {plainPrinter} from './progress.js';

/**
 * How a run with no engine ended, from its log alone: cleanly (a run.stopped
 * after its last start), or the engine died (none). When, the last things it
 * did, and the command a person runs next.
 */
export type RunEnd = {
	/** finished | stuck | halted | stopped (a person, a signal) | error | died (no stop recorded) */
	how: 'finished' | 'stuck' | 'halted' | 'stopped' | 'error' | 'died';
	/** The last event's time (ISO): when the engine was last heard from. */
	at: string;
	/** The run's last events worth a line, oldest first. */
	lastEvents: string[];
	/** What to run next, one command per line with why. */
	next: string[];
	/** stop-report.md, when the run wrote one. */
	stopReport?: string;
	detail?: string;
};

const LAST = 5;

export function runEnd(events: readonly EngineEvent[], runDir: string): RunEnd | undefined {
	const last = events.at(-1);
	if (!last) return undefined;
	let startIndex = -1;
	events.forEach((e, i) => {
		if (e.type === 'run.started' || e.type === 'run.resumed') startIndex = i;
	});
	const stopped = events.slice(startIndex + 1).findLast(e => e.type === 'run.stopped');
	const print = plainPrinter();
	const lines = events.flatMap(e => {
		const line = print(e);
		return line === undefined ? [] : [line];
	});
	const file = path.join(runDir, 'stop-report.md');
	const stopReport = existsSync(file) ? file : undefined;
	const how: RunEnd['how'] = !stopped
		? 'died'
		: stopped.reason === 'finished' || stopped.reason === 'stuck' || stopped.reason === 'halted' || stopped.reason === 'error'
			? stopped.reason
			: 'stopped';
	return {
		how,
		at: last.at,
		lastEvents: lines.slice(-LAST),
		next: nextCommands(how, events),
		...(stopReport ? {stopReport} : {}),
		...(stopped?.detail ? {detail: stopped.detail} : {}),
	};
}

function nextCommands(how: RunEnd['how'], events: readonly EngineEvent[]): string[] {
	switch (how) {
		case 'finished':
			return ['nothing to do: the oracle passed; `proofloop report` for the ledger'];
		case 'halted':
			return ['read stop-report.md and fix its cause (a halted run does not resume)', '`proofloop run` then starts a new run'];
		case 'stuck': {
			const failed = new Set<string>();
			for (const e of events) {
				if (e.type !== 'ticket.status') continue;
				if (e.status === 'failed' || e.status === 'blocked') failed.add(e.ticket);
				else failed.delete(e.ticket);
			}
			const ids = [...failed].join(' ');
			return [
				...(ids
					? [
							`\`proofloop retry <id> --reason "..."\` gives a failed or blocked ticket a fresh budget (${ids}); ` +
								`\`proofloop gate <id> --reason "..."\` hands it to a person`,
						]
					: []),
				'`proofloop run` then continues this run',
			];
		}
		default:
			return ['`proofloop run` resumes this run: attempts the engine left running are redone, not charged'];
	}
}

/** The plain lines `status` prints about a run whose engine is gone. */
export function formatRunEnd(end: RunEnd, now = Date.now()): string[] {
	const ago = Math.max(0, Math.round((now - Date.parse(end.at)) / 60_000));
	const when = `${end.at} (${ago < 1 ? 'just now' : ago < 120 ? `${ago} min ago` : `${Math.round(ago / 60)} h ago`})`;
	const head =
		end.how === 'died'
			? `the engine died: no stop recorded; last heard from at ${when}`
			: `the run ended (${end.how}${end.detail ? `: ${end.detail.split('\n')[0]}` : ''}) at ${when}`;
	return [
		head,
		...(end.lastEvents.length > 0 ? ['last events:', ...end.lastEvents.map(line => `  ${line.replace(/\n/g, '\n  ')}`)] : []),
		...(end.stopReport ? [`stop report: ${end.stopReport}`] : []),
		...end.next.map(line => `next: ${line}`),
	];
}
