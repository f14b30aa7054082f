import {writeFileSync} from 'node:fs';
import path from 'node:path';
import type {Ticket} from '../tracker/ticket.js';
import type {EngineEvent, InterventionKind} from './events.js';
import {attemptsUsed, buildLedger, isIntervention, ticketCost} from './ledger.js';
import type {Manifest} from './run-dir.js';
import {describeDirtyStart, describeKept} from './user-checkout.js';
import {profileRows, profileTableMarkdown, type ProfileRow} from './engine-report.js';
import {planningCost, type PlanningCost} from './plan-costs.js';

export type TicketReport = {
	id: string;
	title: string;
	status: string;
	attempts: number;
	seconds: number;
	mergeCommit?: string;
	failures: string[];
	costUsd: number;
	/** What each stage of the finish line caught, by stage (checks, guard, review, merge, verify...). */
	caught: Record<string, number>;
	/** Tickets this one's workers filed. */
	filed: string[];
	/** Who filed this one, when the loop did. */
	discoveredFrom?: string;
};

export type HumanAct = {at: string; kind: InterventionKind; by: string; ticket?: string; reason?: string};

export type RunReport = {
	runId: string;
	batch: string;
	base: string;
	startedAt: string;
	endedAt: string;
	makespanSeconds: number;
	oracle: {exit: number; verdict: string; summary: string} | undefined;
	/** What a person did to the work (gate, ungate, retry, reset, a hand edit of a ticket), as ledger.ts counts it. */
	interventions: number;
	interventionsByKind: Record<string, number>;
	/** Each intervention: who, when, what and why. */
	interventionList: HumanAct[];
	/** How a person steered the run (pause, resume, stop, restart): not work done on a ticket. */
	controls: number;
	controlsByKind: Record<string, number>;
	controlList: HumanAct[];
	heals: number;
	healList: Array<{heal: number; outcome: string; reason: string; files: string[]; diff: string}>;
	/** Harness errors that repeated across tickets and stopped dispatch (stop detection). */
	harnessRepeats: Array<{signature: string; tickets: string[]; count: number}>;
	/** How the agents ran: boxed by bwrap on every engine start, unsandboxed on every one, or mixed across restarts. */
	sandbox: 'bwrap' | 'unsandboxed' | 'mixed';
	/** How the run's processes were contained (containment.ts), as the last engine start said. */
	containment?: string;
	/** Tickets the loop filed itself (discovered work). */
	filedByLoop: string[];
	/** Human verbs refused on a worker channel, or sent to the human channel without its key. */
	tampers: Array<{channel: string; verb: string; detail: string; ticket?: string; attempt?: number; at: string}>;
	costUsd: number;
	tickets: TicketReport[];
	/** Attempts, time, worker cost and outcome per engine profile (engine-report.ts). */
	engines: ProfileRow[];
	/** What `proofloop plan` spent writing this batch, when a plan wrote it (plan-costs.ts). */
	planning?: PlanningCost;
	/** A person's checkouts of base: dirty at the start (--allow-dirty) or left as they had them, each notice whole (see user-checkout.ts). */
	checkoutNotices: string[];
};

/** The ledger of one run, rebuilt from its event log and the tracker's final state. */
export function buildReport(manifest: Manifest, events: EngineEvent[], tickets: Ticket[]): RunReport {
	const first = events[0];
	const last = events.at(-1);
	const verdict = events.findLast(e => e.type === 'oracle.verdict');
	const ids = [...new Set([...manifest.ticket_ids, ...tickets.filter(t => t.batch === manifest.batch).map(t => t.id)])];
	const byId = new Map(tickets.map(t => [t.id, t]));
	// Attempts and cost as the engine counts them (ledger.ts): interrupted, parked and limited attempts are not charged.
	const ledger = buildLedger(events);
	const filedFrom = new Map(events.flatMap(e => (e.type === 'ticket.filed' ? [[e.ticket, e.from] as const] : [])));
	const perTicket = ids.map((id): TicketReport => {
		const mine = events.filter(e => 'ticket' in e && e.ticket === id);
		const begin = mine.find(e => e.type === 'attempt.started');
		const end = mine.findLast(e => e.type === 'ticket.done' || e.type === 'attempt.failed');
		const ticket = byId.get(id);
		return {
			id,
			title: ticket?.title ?? '(missing from the tracker)',
			status: ticket?.status ?? 'missing',
			attempts: attemptsUsed(ledger, id),
			seconds: begin && end ? (Date.parse(end.at) - Date.parse(begin.at)) / 1000 : 0,
			...(ticket?.merge_commit ? {mergeCommit: ticket.merge_commit} : {}),
			failures: mine.flatMap(e => (e.type === 'attempt.failed' ? [`attempt ${e.attempt} (${e.stage}): ${e.reason.split('\n')[0]}`] : [])),
			costUsd: ticketCost(ledger, id),
			caught: mine.reduce<Record<string, number>>((acc, e) => (e.type === 'attempt.failed' ? {...acc, [e.stage]: (acc[e.stage] ?? 0) + 1} : acc), {}),
			filed: events.flatMap(e => (e.type === 'ticket.filed' && e.from === id ? [e.ticket] : [])),
			...(filedFrom.has(id) ? {discoveredFrom: filedFrom.get(id)} : {}),
		};
	});
	const acts = events.flatMap((e): HumanAct[] =>
		e.type === 'intervention' ? [{at: e.at, kind: e.kind, by: e.by, ...(e.ticket ? {ticket: e.ticket} : {}), ...(e.reason ? {reason: e.reason} : {})}] : [],
	);
	const interventionList = acts.filter(a => isIntervention(a.kind));
	const controlList = acts.filter(a => !isIntervention(a.kind));
	return {
		runId: manifest.run_id,
		batch: manifest.batch,
		base: manifest.base_branch,
		startedAt: first?.at ?? manifest.created_at,
		endedAt: last?.at ?? manifest.created_at,
		makespanSeconds: first && last ? (Date.parse(last.at) - Date.parse(first.at)) / 1000 : 0,
		oracle: verdict?.type === 'oracle.verdict' ? {exit: verdict.exit, verdict: verdict.verdict, summary: verdict.summary} : undefined,
		interventions: ledger.interventions,
		interventionsByKind: byKind(interventionList),
		interventionList,
		controls: ledger.controls,
		controlsByKind: byKind(controlList),
		controlList,
		heals: events.filter(e => e.type === 'heal.result').length,
		healList: events.flatMap(e => (e.type === 'heal.result' ? [{heal: e.heal, outcome: e.outcome, reason: e.reason, files: e.files, diff: e.diff}] : [])),
		sandbox: sandboxOf(manifest, events),
		tampers: events.flatMap(e =>
			e.type === 'tamper.refused'
				? [
						{
							channel: e.channel,
							verb: e.verb,
							detail: e.detail,
							at: e.at,
							...(e.ticket === undefined ? {} : {ticket: e.ticket}),
							...(e.attempt === undefined ? {} : {attempt: e.attempt}),
						},
					]
				: [],
		),
		...containmentOf(events),
		harnessRepeats: events.flatMap(e => (e.type === 'harness.repeated' ? [{signature: e.signature, tickets: e.tickets, count: e.count}] : [])),
		filedByLoop: [...filedFrom.keys()],
		costUsd: ledger.usage.costUsd,
		tickets: perTicket,
		engines: profileRows(events),
		checkoutNotices: events.flatMap(e => (e.type === 'checkout.dirty' ? [describeDirtyStart(e)] : e.type === 'checkout.kept' ? [describeKept(e)] : [])),
	};
}

function byKind(acts: HumanAct[]): Record<string, number> {
	const counts: Record<string, number> = {};
	for (const act of acts) counts[act.kind] = (counts[act.kind] ?? 0) + 1;
	return counts;
}

function containmentOf(events: EngineEvent[]): {containment?: string} {
	const start = events.findLast(e => (e.type === 'run.started' || e.type === 'run.resumed') && e.containment !== undefined);
	return start && (start.type === 'run.started' || start.type === 'run.resumed') && start.containment ? {containment: start.containment} : {};
}

function sandboxOf(manifest: Manifest, events: EngineEvent[]): RunReport['sandbox'] {
	const modes = new Set(events.flatMap(e => ((e.type === 'run.started' || e.type === 'run.resumed') && e.sandbox ? [e.sandbox] : [])));
	if (modes.size === 0 && manifest.sandbox) modes.add(manifest.sandbox);
	if (modes.size > 1) return 'mixed';
	return modes.has('bwrap') ? 'bwrap' : 'unsandboxed';
}

export function renderReportMarkdown(report: RunReport): string {
	// Agents that report no cost (the demo, some CLIs) spent an unknown amount, not $0.00: n/a, as the TUI and the HTML page say.
	const usd = (n: number): string => (report.costUsd > 0 ? `$${n.toFixed(2)}` : 'n/a');
	const rows = report.tickets.map(
		t =>
			`| ${t.id} | ${t.title.replace(/\|/g, '\\|')} | ${t.status} | ${t.attempts} | ${t.seconds.toFixed(1)}s | ${usd(t.costUsd)} | ` +
			`${t.mergeCommit?.slice(0, 7) ?? ''} | ${t.discoveredFrom ? `filed by ${t.discoveredFrom}'s worker` : ''} |`,
	);
	const kinds = (counts: Record<string, number>): string => {
		const list = Object.entries(counts).map(([kind, n]) => `${kind} ${n}`);
		return list.length > 0 ? ` (${list.join(', ')})` : '';
	};
	const failures = report.tickets.flatMap(t => t.failures.map(f => `- ${t.id}: ${f}`));
	const sandboxLine: Record<RunReport['sandbox'], string> = {
		bwrap: 'bwrap (every agent boxed)',
		mixed: 'MIXED: some engine starts ran agents unsandboxed',
		unsandboxed: 'UNSANDBOXED: agents ran with the full filesystem access of the user',
	};
	const tamperedTickets = [...new Set(report.tampers.map(t => t.ticket ?? 'no key'))].join(', ');
	return [
		`# proofloop run ${report.runId}`,
		'',
		...report.checkoutNotices.map(notice => `> **Your checkout:** ${notice}\n`),
		`- batch: \`${report.batch}\` onto \`${report.base}\``,
		`- oracle: ${report.oracle ? `exit ${report.oracle.exit} (${report.oracle.verdict}): ${report.oracle.summary}` : 'not judged yet'}`,
		`- makespan: ${report.makespanSeconds.toFixed(1)}s`,
		`- interventions (a person's work on tickets): ${report.interventions}${kinds(report.interventionsByKind)}`,
		`- controls (pause, resume, stop, restart): ${report.controls}${kinds(report.controlsByKind)}`,
		`- heals: ${report.heals}`,
		`- sandbox: ${sandboxLine[report.sandbox]}`,
		`- tamper attempts refused: ${report.tampers.length === 0 ? 'none' : `${report.tampers.length} (${tamperedTickets}): see below`}`,
		...(report.containment ? [`- containment: ${report.containment}`] : []),
		...report.harnessRepeats.map(
			r => `- dispatch stopped: the same harness error ended ${r.count} attempts in a row (${r.tickets.join(', ')}): "${r.signature}"`,
		),
		`- filed by the loop itself: ${report.filedByLoop.length > 0 ? report.filedByLoop.join(', ') : 'none'}`,
		`- cost: ${usd(report.costUsd)}`,
		...(report.planning
			? [
					`- planning: ${report.planning.costUsd > 0 ? `$${report.planning.costUsd.toFixed(2)}` : 'n/a'}, ` +
						`${report.planning.inputTokens + report.planning.outputTokens} tokens (\`proofloop plan\` ${report.planning.plans.join(', ')})`,
				]
			: []),
		'',
		'| ticket | title | status | attempts | time | cost | merge | discovered |',
		'| --- | --- | --- | --- | --- | --- | --- | --- |',
		...rows,
		'',
		...profileTableMarkdown(report.engines),
		...(report.healList.length > 0
			? [
					'## Heals',
					'',
					...report.healList.flatMap(h => [`### Heal ${h.heal}: ${h.outcome}`, '', h.reason, '', ...(h.diff ? ['```diff', h.diff.trimEnd(), '```', ''] : [])]),
				]
			: []),
		...(report.tampers.length > 0
			? [
					'## Tamper attempts (refused, never counted)',
					'',
					...report.tampers.map(
						t =>
							`- ${t.at} ${t.ticket ? `${t.ticket}${t.attempt === undefined ? '' : ` attempt ${t.attempt}`}` : 'a client'}: ` +
							`\`${t.verb}\` on the ${t.channel} channel (${t.detail})`,
					),
					'',
				]
			: []),
		...(report.interventionList.length > 0
			? [
					'## Interventions',
					'',
					...report.interventionList.map(i => `- ${i.at} ${i.kind}${i.ticket ? ` ${i.ticket}` : ''} by ${i.by}${i.reason ? `: ${i.reason}` : ''}`),
					'',
				]
			: []),
		...(report.controlList.length > 0 ? ['## Controls', '', ...report.controlList.map(c => `- ${c.at} ${c.kind} by ${c.by}`), ''] : []),
		'## What the finish line caught',
		'',
		...(failures.length > 0 ? failures : ['Nothing: every attempt passed on its first try.']),
		'',
	].join('\n');
}

export function writeReport(runDir: string, report: RunReport): {md: string; json: string} {
	// The run directory is <repo>/.proofloop/runs/<id>: the batch's plans sit beside the runs.
	const planning = planningCost(path.resolve(runDir, '..', '..', '..'), report.batch);
	if (planning) report.planning = planning;
	const md = path.join(runDir, 'report.md');
	const json = path.join(runDir, 'report.json');
	writeFileSync(json, JSON.stringify(report, null, 2) + '\n');
	writeFileSync(md, renderReportMarkdown(report));
	return {md, json};
}
