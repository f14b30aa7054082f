import type {EventLog} from './event-log.js';
import type {EngineEvent} from './events.js';
import {tamperLine} from './run-state.js';

/** How many refusals of one channel are written to the log; the rest are refused without a line each (a flood must not fill the disk). */
const LOGGED_PER_CHANNEL = 20;

export type Tamper = {channel: 'worker' | 'human'; verb: string; detail: string; ticket?: string; attempt?: number};

/** Records each refused human verb as a `tamper.refused` event, capped per channel, and nothing once the run is over. */
export class TamperLog {
	private readonly counts = new Map<string, number>();
	private over = false;

	constructor(private readonly log: EventLog) {}

	refused(tamper: Tamper): void {
		if (this.over) return;
		const key = `${tamper.channel}:${tamper.ticket ?? ''}#${tamper.attempt ?? ''}`;
		const count = (this.counts.get(key) ?? 0) + 1;
		this.counts.set(key, count);
		if (count > LOGGED_PER_CHANNEL) return;
		const verb = tamper.verb.replace(/[^\w.:-]/g, '?').slice(0, 40);
		const detail = count === LOGGED_PER_CHANNEL ? `${tamper.detail} (further refusals on this channel are not logged one by one)` : tamper.detail;
		this.log.append({
			type: 'tamper.refused',
			channel: tamper.channel,
			verb,
			detail,
			...(tamper.ticket === undefined ? {} : {ticket: tamper.ticket}),
			...(tamper.attempt === undefined ? {} : {attempt: tamper.attempt}),
		});
	}

	/** The run is over: the log is about to close. */
	end(): void {
		this.over = true;
	}
}

/** For the stop report: every refused tamper attempt of the run, or nothing when there was none. */
export function tamperSection(events: EngineEvent[]): string {
	const lines = events.flatMap(e => (e.type === 'tamper.refused' ? [`- ${e.at} ${tamperLine(e)}`] : []));
	return lines.length === 0 ? '' : `\n## Tamper attempts (refused, never counted)\n\n${lines.join('\n')}\n`;
}
