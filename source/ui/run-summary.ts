import {existsSync} from 'node:fs';
import path from 'node:path';
import {costByAgent, formatCost} from '../core/agent-cost.js';
import {readEventLog} from '../core/event-log.js';
import type {EngineEvent} from '../core/events.js';
import {buildReport} from '../core/report.js';
import type {Manifest} from '../core/run-dir.js';
import {groupTickets, type RunState} from '../core/run-state.js';
import type {Ticket} from '../tracker/ticket.js';
import {cleanLine, formatDuration} from './text.js';
import type {Tone} from './theme.js';

/** What stays on screen when a run ends, until a key: one entry per line. */
export type SummaryLine = {text: string; tone?: Tone; bold?: boolean};

/** The run's log from its directory (the engine wrote it on this machine); [] when it cannot be read. */
export function readRunEvents(runDir: string): EngineEvent[] {
	try {
		return readEventLog(path.join(runDir, 'events.jsonl')).events;
	} catch {
		return [];
	}
}

const pad = (text: string, n: number): string => (text.length >= n ? text.slice(0, n) : text + ' '.repeat(n - text.length));

/**
 * The verdict, a per-ticket table (attempts, time, cost), what the finish line
 * caught, the interventions and the stop report's path. Built from the log
 * (report.ts, the same ledger `proofloop report` prints); the state gives titles and statuses.
 */
export function summaryLines(state: RunState, events: readonly EngineEvent[], runDir: string): SummaryLine[] {
	const stopped = state.stopped;
	const manifest = {
		run_id: state.runId,
		batch: state.batch,
		base_branch: state.base,
		ticket_ids: [...state.tickets.keys()],
		created_at: new Date(state.startedAt ?? 0).toISOString(),
	} as Manifest;
	// The report reads only id, title, status, batch and merge_commit of a ticket: the screen's view has the first four.
	const tickets = [...state.tickets.values()].map(t => ({id: t.id, title: t.title, status: t.status, batch: state.batch}) as unknown as Ticket);
	const report = buildReport(manifest, [...events], tickets);
	const costs = costByAgent(events);
	const reported = new Set(costs.filter(c => c.reported).map(c => c.agent));
	const agentOf = new Map<string, string>();
	for (const e of events) if (e.type === 'attempt.started') agentOf.set(e.ticket, e.agent);

	// A ticket that never left todo says what it waited on (a human-gated dep is never done): the oracle only says "todo".
	const waitsOn = new Map(
		groupTickets(state).flatMap(t =>
			t.status === 'todo' && t.waitingOn && t.waitingOn.deps.length > 0
				? [[t.id, `waits on ${t.waitingOn.deps.map(dep => `${dep} (${state.tickets.get(dep)?.status ?? 'not in the batch'})`).join(', ')}`] as const]
				: [],
		),
	);
	const exit = stopped?.oracleExit;
	const how = stopped?.reason ?? 'stopped';
	const verdict = state.oracle ? ` (${state.oracle.verdict}): ${cleanLine(state.oracle.summary, 200)}` : '';
	const verdictTone: Tone = how === 'finished' && exit === 0 ? 'ok' : how === 'halted' || how === 'error' ? 'bad' : 'warn';
	const lines: SummaryLine[] = [
		{
			text: `RUN ${how.toUpperCase()}${exit === undefined ? '' : ` · oracle exit ${exit}`}${verdict}`,
			tone: verdictTone,
			bold: true,
		},
		{text: `run ${state.runId} · batch '${state.batch}' · ${formatDuration(report.makespanSeconds * 1000)} · ${formatCost(costs)}`, tone: 'muted'},
		...(state.oracle?.holding ?? []).map((h): SummaryLine => ({
			text: `  held back by ${h.id} (${h.status}): ${cleanLine(waitsOn.get(h.id) ?? h.reason, 200)}`,
			tone: 'warn',
		})),
		// Why dispatch stopped with tickets left (maxRunMinutes, costBudgetUsd): without it, "todo" tickets on a stuck run explain nothing.
		...events.flatMap((e): SummaryLine[] => (e.type === 'warning' && e.budget ? [{text: `  ${cleanLine(e.message, 200)}`, tone: 'warn'}] : [])),
		{text: ''},
		{text: `${pad('ticket', 10)} ${pad('status', 12)} ${pad('attempts', 8)} ${pad('time', 7)} ${pad('cost', 7)} title`, bold: true},
	];
	for (const t of report.tickets) {
		const view = state.tickets.get(t.id);
		const agent = agentOf.get(t.id);
		const cost = agent === undefined ? '-' : reported.has(agent) ? `$${t.costUsd.toFixed(2)}` : 'n/a';
		const tone: Tone | undefined =
			t.status === 'done' ? 'ok' : t.status === 'human_gated' ? 'info' : t.status === 'failed' || t.status === 'blocked' ? 'bad' : undefined;
		lines.push({
			text:
				`${pad(cleanLine(t.id, 10), 10)} ${pad(t.status, 12)} ` +
				`${pad(`${Math.max(t.attempts, view?.attempts ?? 0)}${view?.budget ? `/${view.budget}` : ''}`, 8)} ` +
				`${pad(t.seconds > 0 ? formatDuration(t.seconds * 1000) : '-', 7)} ${pad(cost, 7)} ${cleanLine(t.title, 200)}`,
			...(tone ? {tone} : {}),
		});
	}
	const caught: Record<string, number> = {};
	for (const t of report.tickets)
		for (const [stage, n] of Object.entries(t.caught)) if (stage !== 'implement' && stage !== 'prepare') caught[stage] = (caught[stage] ?? 0) + n;
	const caughtText = Object.entries(caught).map(([stage, n]) => `${stage} ${n}`);
	lines.push(
		{text: ''},
		{
			text: `the finish line caught: ${caughtText.length > 0 ? caughtText.join(', ') : 'nothing'} · tamper attempts refused: ${report.tampers.length}`,
			tone: report.tampers.length > 0 ? 'bad' : undefined,
		},
	);
	for (const e of events)
		if (e.type === 'guard.result' && !e.ok)
			lines.push({text: `  guard refused ${e.ticket} attempt ${e.attempt}: ${cleanLine((e.reason ?? '').split('\n')[0] ?? '', 200)}`});
	for (const tamper of report.tampers)
		lines.push({
			text:
				`  tamper refused: ${tamper.verb} on the ${tamper.channel} ` +
				`channel${tamper.ticket ? ` (${tamper.ticket}${tamper.attempt ? ` attempt ${tamper.attempt}` : ''})` : ''}: ${cleanLine(tamper.detail, 200)}`,
			tone: 'bad',
		});
	const kinds = Object.entries(report.interventionsByKind).map(([kind, n]) => `${kind} ${n}`);
	lines.push({text: `interventions: ${report.interventions}${kinds.length > 0 ? ` (${kinds.join(', ')})` : ''}`});
	for (const i of report.interventionList.filter(x => x.ticket))
		lines.push({text: `  ${i.kind} ${i.ticket} by ${i.by}${i.reason ? `: ${cleanLine(i.reason, 200)}` : ''}`});
	const stopReport = path.join(runDir, 'stop-report.md');
	if (existsSync(stopReport)) lines.push({text: `stop report: ${stopReport}`, tone: 'warn'});
	lines.push({text: `report: proofloop report ${state.runId}`, tone: 'muted'});
	return lines;
}
