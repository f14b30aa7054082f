import {writeFileSync} from 'node:fs';
import path from 'node:path';
import type {Ticket} from '../tracker/ticket.js';
import type {EngineEvent} from './events.js';
import type {Manifest} from './run-dir.js';

export type TicketReport = {
	id: string;
	title: string;
	status: string;
	attempts: number;
	seconds: number;
	mergeCommit?: string;
	failures: string[];
	costUsd: number;
};

export type RunReport = {
	runId: string;
	batch: string;
	base: string;
	startedAt: string;
	endedAt: string;
	makespanSeconds: number;
	oracle: {exit: number; verdict: string; summary: string} | undefined;
	interventions: number;
	tickets: TicketReport[];
};

/** The ledger of one run, rebuilt from its event log and the tracker's final state. */
export function buildReport(manifest: Manifest, events: EngineEvent[], tickets: Ticket[]): RunReport {
	const first = events[0];
	const last = events.at(-1);
	const verdict = events.findLast(e => e.type === 'oracle.verdict');
	const ids = [...new Set([...manifest.ticket_ids, ...tickets.filter(t => t.batch === manifest.batch).map(t => t.id)])];
	const byId = new Map(tickets.map(t => [t.id, t]));
	const perTicket = ids.map((id): TicketReport => {
		const mine = events.filter(e => 'ticket' in e && e.ticket === id);
		const started = mine.filter(e => e.type === 'attempt.started').length;
		const interrupted = mine.filter(e => e.type === 'attempt.interrupted').length;
		const begin = mine.find(e => e.type === 'attempt.started');
		const end = mine.findLast(e => e.type === 'ticket.done' || e.type === 'attempt.failed');
		const ticket = byId.get(id);
		return {
			id,
			title: ticket?.title ?? '(missing from the tracker)',
			status: ticket?.status ?? 'missing',
			attempts: started - interrupted,
			seconds: begin && end ? (Date.parse(end.at) - Date.parse(begin.at)) / 1000 : 0,
			...(ticket?.merge_commit ? {mergeCommit: ticket.merge_commit} : {}),
			failures: mine.flatMap(e => (e.type === 'attempt.failed' ? [`attempt ${e.attempt} (${e.stage}): ${e.reason.split('\n')[0]}`] : [])),
			costUsd: mine.reduce((sum, e) => sum + (e.type === 'agent.exited' ? e.usage.costUsd : 0), 0),
		};
	});
	return {
		runId: manifest.run_id,
		batch: manifest.batch,
		base: manifest.base_branch,
		startedAt: first?.at ?? manifest.created_at,
		endedAt: last?.at ?? manifest.created_at,
		makespanSeconds: first && last ? (Date.parse(last.at) - Date.parse(first.at)) / 1000 : 0,
		oracle: verdict?.type === 'oracle.verdict' ? {exit: verdict.exit, verdict: verdict.verdict, summary: verdict.summary} : undefined,
		interventions: 0,
		tickets: perTicket,
	};
}

export function renderReportMarkdown(report: RunReport): string {
	const rows = report.tickets.map(
		t => `| ${t.id} | ${t.title.replace(/\|/g, '\\|')} | ${t.status} | ${t.attempts} | ${t.seconds.toFixed(1)}s | ${t.mergeCommit?.slice(0, 7) ?? ''} |`,
	);
	const failures = report.tickets.flatMap(t => t.failures.map(f => `- ${t.id}: ${f}`));
	return [
		`# proofloop run ${report.runId}`,
		'',
		`- batch: \`${report.batch}\` onto \`${report.base}\``,
		`- oracle: ${report.oracle ? `exit ${report.oracle.exit} (${report.oracle.verdict}): ${report.oracle.summary}` : 'not judged yet'}`,
		`- makespan: ${report.makespanSeconds.toFixed(1)}s`,
		`- interventions: ${report.interventions}`,
		'',
		'| ticket | title | status | attempts | time | merge |',
		'| --- | --- | --- | --- | --- | --- |',
		...rows,
		'',
		'## What the finish line caught',
		'',
		...(failures.length > 0 ? failures : ['Nothing: every attempt passed on its first try.']),
		'',
	].join('\n');
}

export function writeReport(runDir: string, report: RunReport): {md: string; json: string} {
	const md = path.join(runDir, 'report.md');
	const json = path.join(runDir, 'report.json');
	writeFileSync(json, JSON.stringify(report, null, 2) + '\n');
	writeFileSync(md, renderReportMarkdown(report));
	return {md, json};
}
