/**
 * Attempts, time, worker cost and outcome per engine profile, folded from the
 * event log: each `attempt.started` names the profile (routing.ts) that ran it,
 * so "is the cheap engine worth it" is a row of numbers in the report.
 */
import type {EngineEvent} from './events.js';

export type ProfileRow = {
	/** The engine profile's name; "agent" for attempts the config's "agent" ran. */
	profile: string;
	/** The agent type(s) that ran it (one, unless the config changed across a restart). */
	agent: string;
	attempts: number;
	done: number;
	failed: number;
	/** Ended without a charge: interrupted, parked or limited (ledger.ts). */
	notCharged: number;
	/** Still open when the log ends (running, or cut by a crash). */
	open: number;
	seconds: number;
	/** What its workers reported spending; `costReported` false: they gave no cost (n/a, not $0.00). */
	costUsd: number;
	costReported: boolean;
};

type Open = {row: ProfileRow; startMs: number};
const ends = {
	'ticket.done': 'done',
	'attempt.failed': 'failed',
	'attempt.interrupted': 'notCharged',
	'attempt.parked': 'notCharged',
	'attempt.limited': 'notCharged',
} as const;

/** One row per profile, in the order each first ran; empty when no attempt ran. */
export function profileRows(events: readonly EngineEvent[]): ProfileRow[] {
	const rows = new Map<string, ProfileRow>();
	const open = new Map<string, Open>();
	const at = (e: EngineEvent): number => Date.parse(e.at);
	const close = (ticket: string, endMs: number, outcome: 'done' | 'failed' | 'notCharged' | 'open'): void => {
		const running = open.get(ticket);
		if (!running) return;
		open.delete(ticket);
		running.row[outcome]++;
		running.row.seconds += Math.max(0, endMs - running.startMs) / 1000;
	};
	for (const e of events) {
		if (e.type === 'attempt.started') {
			// A new start of a ticket whose last attempt never settled (a crash): that one ends here.
			close(e.ticket, at(e), 'open');
			const profile = e.engine ?? 'agent';
			let row = rows.get(profile);
			if (!row) {
				row = {profile, agent: e.agent, attempts: 0, done: 0, failed: 0, notCharged: 0, open: 0, seconds: 0, costUsd: 0, costReported: false};
				rows.set(profile, row);
			} else if (!row.agent.split(', ').includes(e.agent)) row.agent = `${row.agent}, ${e.agent}`;
			row.attempts++;
			open.set(e.ticket, {row, startMs: at(e)});
		} else if (e.type === 'agent.exited' && e.usage) {
			const running = open.get(e.ticket)?.row;
			if (running) {
				running.costUsd += e.usage.costUsd;
				running.costReported ||= e.usage.costUsd > 0;
			}
		} else if (
			e.type === 'ticket.done' ||
			e.type === 'attempt.failed' ||
			e.type === 'attempt.interrupted' ||
			e.type === 'attempt.parked' ||
			e.type === 'attempt.limited'
		) {
			close(e.ticket, at(e), ends[e.type]);
		}
	}
	const last = events.at(-1);
	for (const ticket of [...open.keys()]) close(ticket, last ? at(last) : 0, 'open');
	return [...rows.values()];
}

/** The report's Markdown section: a table with a row per profile (none when every attempt ran on the config's "agent"). */
export function profileTableMarkdown(rows: readonly ProfileRow[]): string[] {
	if (!rows.some(r => r.profile !== 'agent')) return [];
	const usd = (r: ProfileRow): string => (r.costReported ? `$${r.costUsd.toFixed(2)}` : 'n/a');
	const outcome = (r: ProfileRow): string =>
		[`${r.done} done`, `${r.failed} failed`, ...(r.notCharged > 0 ? [`${r.notCharged} not charged`] : []), ...(r.open > 0 ? [`${r.open} open`] : [])].join(
			', ',
		);
	return [
		'## Engine profiles',
		'',
		'| profile | agent | attempts | outcome | time | worker cost |',
		'| --- | --- | --- | --- | --- | --- |',
		...rows.map(r => `| ${r.profile} | ${r.agent} | ${r.attempts} | ${outcome(r)} | ${r.seconds.toFixed(1)}s | ${usd(r)} |`),
		'',
	];
}
