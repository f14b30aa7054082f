import type {EngineEvent} from '../events.js';

export type Outcome = 'ok' | 'failed' | 'interrupted' | 'waiting' | 'running' | 'queued';
export type Segment = {stage: string; start: number; end: number; outcome: Outcome; attempt?: number; detail?: string};
export type TimelineRow = {ticket: string; segments: Segment[]};
export type Timeline = {start: number; end: number; rows: TimelineRow[]};

/** Statuses after which a ticket waits for nothing (a person, or nothing at all). */
const SETTLED = new Set(['done', 'failed', 'blocked', 'human_gated']);

type Open = {stage: string; start: number; attempt?: number};

/**
 * Where each ticket's time went, from the event log alone: queued (waiting for
 * its dependencies, a slot or a retry), then each attempt's stages, each ending
 * in the outcome the log records (the next stage: ok; attempt.failed: failed there).
 */
export function buildTimeline(events: readonly EngineEvent[], ticketIds: readonly string[]): Timeline {
	const start = events.length > 0 ? Date.parse(events[0]!.at) : 0;
	const end = events.length > 0 ? Date.parse(events.at(-1)!.at) : 0;
	const rows = new Map<string, Segment[]>(ticketIds.map(id => [id, []]));
	const open = new Map<string, Open>();
	const queued = new Map<string, number>();
	const rowOf = (id: string): Segment[] => {
		let row = rows.get(id);
		if (!row) rows.set(id, (row = []));
		return row;
	};
	const close = (id: string, at: number, outcome: Outcome, detail?: string) => {
		const current = open.get(id);
		if (!current) return;
		open.delete(id);
		rowOf(id).push({...current, end: at, outcome, ...(detail ? {detail} : {})});
	};
	const closeQueued = (id: string, at: number) => {
		const since = queued.get(id);
		if (since === undefined) return;
		queued.delete(id);
		if (at > since) rowOf(id).push({stage: 'queued', start: since, end: at, outcome: 'queued'});
	};
	let stoppedQueued: string[] = [];
	// Everything open ends when the engine stopped (or, after a crash, at its last event); it queues again on resume.
	const stopAll = (at: number) => {
		const cut = [...open.keys()];
		for (const id of cut) close(id, at, 'interrupted', 'the run stopped');
		stoppedQueued = [...new Set([...cut, ...queued.keys(), ...stoppedQueued])];
		for (const id of queued.keys()) closeQueued(id, at);
	};
	let lastAt = start;
	for (const e of events) {
		const at = Date.parse(e.at);
		switch (e.type) {
			case 'run.started':
				for (const id of e.ticketIds) queued.set(id, at);
				break;
			case 'run.resumed':
				stopAll(lastAt);
				for (const id of stoppedQueued) queued.set(id, at);
				stoppedQueued = [];
				break;
			case 'ticket.filed':
				queued.set(e.ticket, at);
				break;
			case 'attempt.started':
				closeQueued(e.ticket, at);
				close(e.ticket, at, 'interrupted');
				open.set(e.ticket, {stage: 'prepare', start: at, attempt: e.attempt});
				break;
			case 'stage': {
				const current = open.get(e.ticket);
				if (current && current.stage === e.stage) break;
				close(e.ticket, at, 'ok');
				open.set(e.ticket, {stage: e.stage, start: at, attempt: e.attempt});
				break;
			}
			case 'attempt.failed':
				close(e.ticket, at, 'failed', e.reason);
				queued.set(e.ticket, at);
				break;
			case 'attempt.interrupted':
				close(e.ticket, at, 'interrupted', e.reason);
				queued.set(e.ticket, at);
				break;
			case 'attempt.parked':
			case 'attempt.limited':
				close(e.ticket, at, 'waiting', e.reason);
				queued.set(e.ticket, at);
				break;
			case 'ticket.done':
				close(e.ticket, at, 'ok');
				queued.delete(e.ticket);
				break;
			case 'ticket.status':
				if (SETTLED.has(e.status)) closeQueued(e.ticket, at);
				else if (e.status === 'todo' && !open.has(e.ticket) && !queued.has(e.ticket)) queued.set(e.ticket, at);
				break;
			case 'run.stopped':
				stopAll(at);
				break;
			default:
				break;
		}
		lastAt = at;
	}
	// A live run: what is open now is still going.
	for (const id of [...open.keys()]) close(id, end, 'running');
	for (const id of [...queued.keys()]) closeQueued(id, end);
	return {start, end, rows: [...rows].map(([ticket, segments]) => ({ticket, segments}))};
}
