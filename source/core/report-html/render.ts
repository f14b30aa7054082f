import type {EngineEvent} from '../events.js';
import type {RunReport} from '../report.js';
import {costByAgent} from '../agent-cost.js';
import {duration, esc, firstLine} from './escape.js';
import {graphSvg, type GraphNode} from './graph-svg.js';
import {buildTimeline} from './timeline.js';
import {legendHtml, timelineSvg} from './timeline-svg.js';

// Nothing leaves the page: no script, no font, no image but inline SVG, and the policy says so to the browser too.
const CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:";

const STYLE = `
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#212529;margin:24px;background:#f8f9fa}
h1{font-size:20px;margin:0 0 4px}h2{font-size:16px;margin:28px 0 8px}
.card{background:#fff;border:1px solid #dee2e6;border-radius:8px;padding:14px 16px;overflow-x:auto}
.facts{display:flex;flex-wrap:wrap;gap:8px 28px;margin:10px 0 0}.facts div b{display:block;font-size:12px;color:#868e96;font-weight:500}
.verdict-0{color:#2f9e44}.verdict-1{color:#e03131}.verdict-2{color:#e8590c}
.muted{color:#868e96}.warn{color:#c92a2a;font-weight:600}
table{border-collapse:collapse;width:100%}th,td{text-align:left;padding:5px 10px;border-bottom:1px solid #e9ecef;vertical-align:top}
th{font-size:12px;color:#868e96;font-weight:600}
td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}
.legend{display:flex;flex-wrap:wrap;gap:14px;margin:0 0 6px;font-size:12px}.legend b{font-weight:600;color:#868e96}
.legend i{display:inline-block;width:12px;height:12px;border-radius:2px;margin-right:5px;vertical-align:-1px}
svg text{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif}
.grid{stroke:#e9ecef}.tick{font-size:11px;fill:#868e96;text-anchor:middle}
.stripe{fill:#f8f9fa}.rowlabel{font-size:12.5px;fill:#343a40}.tid{font-weight:700}
.barlabel{font-size:11px;fill:#fff;text-anchor:middle;pointer-events:none}.barlabel.dark{fill:#868e96}
.edge{fill:none;stroke:#868e96;stroke-width:1.5}.nid{font-size:12.5px;font-weight:700;fill:#212529}.nstatus{font-weight:400;fill:#868e96}
.ntitle{font-size:11.5px;fill:#495057}
code{font-size:12.5px;background:#f1f3f5;padding:0 3px;border-radius:3px}
`;

const table = (head: string[], rows: string[][], numeric: number[] = []): string =>
	`<table><thead><tr>${head.map((h, i) => `<th${numeric.includes(i) ? ' class="num"' : ''}>${esc(h)}</th>`).join('')}</tr></thead><tbody>${rows
		.map(r => `<tr>${r.map((cell, i) => `<td${numeric.includes(i) ? ' class="num"' : ''}>${cell}</td>`).join('')}</tr>`)
		.join('')}</tbody></table>`;

const usd = (n: number): string => `$${n.toFixed(2)}`;
const NA = '<span class="muted">n/a</span>';
const time = (iso: string): string => esc(iso.replace('T', ' ').replace(/\.\d+Z$/, 'Z'));

/** The batch as the log last listed it (deps of filed tickets included), with the report's final statuses. */
function graphNodes(report: RunReport, events: readonly EngineEvent[]): GraphNode[] {
	const listed = events.findLast(e => e.type === 'run.tickets');
	const deps = new Map(listed?.type === 'run.tickets' ? listed.tickets.map(t => [t.id, t.deps]) : []);
	return report.tickets.map(t => ({id: t.id, title: t.title, status: t.status, deps: deps.get(t.id) ?? []}));
}

/** One self-contained HTML page of a run: every string from a ticket or an agent is escaped (escape.ts). */
export function renderReportHtml(report: RunReport, events: readonly EngineEvent[]): string {
	const titles = new Map(report.tickets.map(t => [t.id, t.title]));
	const timeline = buildTimeline(
		events,
		report.tickets.map(t => t.id),
	);
	const oracle = report.oracle;
	const caught = events.flatMap(e => (e.type === 'attempt.failed' ? [e] : []));
	const guardRefusals = events.flatMap(e => (e.type === 'guard.result' && !e.ok ? [e] : []));
	const halts = events.flatMap(e => (e.type === 'run.halted' ? [e] : []));
	const costs = costByAgent(events);
	// Agents that report no cost (the demo, some CLIs) spent an unknown amount, not $0.00.
	const reported = costs.some(c => c.costUsd > 0);
	const facts: Array<[string, string]> = [
		['oracle', oracle ? `<span class="verdict-${Math.min(oracle.exit, 2)}">exit ${oracle.exit} (${esc(oracle.verdict)})</span>` : 'not judged yet'],
		['tickets', `${report.tickets.filter(t => t.status === 'done' || t.status === 'human_gated').length}/${report.tickets.length} done or gated`],
		['makespan', esc(duration(report.makespanSeconds))],
		['cost', reported ? esc(usd(report.costUsd)) : NA],
		['interventions', String(report.interventions)],
		['controls', String(report.controls)],
		['heals', String(report.heals)],
		['sandbox', report.sandbox === 'bwrap' ? 'bwrap' : `<span class="warn">${esc(report.sandbox.toUpperCase())}</span>`],
		['started', time(report.startedAt)],
	];
	const sections = [
		`<h1>proofloop run ${esc(report.runId)}</h1><div class="muted">batch <code>${esc(report.batch)}</code> onto ` +
			`<code>${esc(report.base)}</code>${oracle ? ` · ${esc(oracle.summary)}` : ''}</div>`,
		`<div class="facts">${facts.map(([k, v]) => `<div><b>${esc(k)}</b>${v}</div>`).join('')}</div>`,
		...report.checkoutNotices.map(n => `<p class="warn">Your checkout: ${esc(n)}</p>`),
		`<h2>Timeline</h2><div class="card" id="timeline">${legendHtml()}${timelineSvg(timeline, titles)}</div>`,
		`<h2>Dependencies</h2><div class="card" id="graph">${graphSvg(graphNodes(report, events))}</div>`,
		`<h2>Tickets</h2><div class="card" id="tickets">${table(
			['ticket', 'title', 'status', 'attempts', 'time', 'cost', 'merge'],
			report.tickets.map(t => [
				`<b>${esc(t.id)}</b>`,
				`${esc(t.title)}${t.discoveredFrom ? ` <span class="muted">(filed by ${esc(t.discoveredFrom)}'s worker)</span>` : ''}`,
				esc(t.status),
				String(t.attempts),
				esc(duration(t.seconds)),
				reported ? esc(usd(t.costUsd)) : NA,
				t.mergeCommit ? `<code>${esc(t.mergeCommit.slice(0, 7))}</code>` : '',
			]),
			[3, 4, 5],
		)}</div>`,
		`<h2>What the finish line caught</h2><div class="card" id="caught">${
			caught.length + guardRefusals.length + report.tampers.length + halts.length === 0
				? '<p class="muted">Nothing: every attempt passed on its first try.</p>'
				: [
						caught.length > 0
							? table(
									['ticket', 'attempt', 'stage', 'why'],
									caught.map(e => [esc(e.ticket), String(e.attempt), esc(e.stage), esc(firstLine(e.reason))]),
								)
							: '',
						guardRefusals.length > 0
							? `<h3>Guard refusals</h3>${table(
									['ticket', 'attempt', 'why', 'files'],
									guardRefusals.map(e => [esc(e.ticket), String(e.attempt), esc(firstLine(e.reason ?? '')), esc(e.files.join(', '))]),
								)}`
							: '',
						report.tampers.length > 0
							? `<h3>Tamper refused (never counted)</h3>${table(
									['when', 'from', 'verb', 'channel', 'detail'],
									report.tampers.map(t => [
										time(t.at),
										esc(t.ticket ? `${t.ticket}${t.attempt === undefined ? '' : ` attempt ${t.attempt}`}` : 'a client'),
										`<code>${esc(t.verb)}</code>`,
										esc(t.channel),
										esc(t.detail),
									]),
								)}`
							: '',
						halts.length > 0
							? `<h3>Halted</h3>${table(
									['when', 'cause', 'message'],
									halts.map(h => [time(h.at), esc(h.cause), esc(firstLine(h.message))]),
								)}`
							: '',
					].join('')
		}</div>`,
		`<h2>Interventions</h2><div class="card" id="interventions">${
			report.interventionList.length === 0
				? '<p class="muted">None: no person did any of the work (gate, ungate, retry, reset).</p>'
				: table(
						['when', 'what', 'ticket', 'by', 'why'],
						report.interventionList.map(i => [time(i.at), esc(i.kind), esc(i.ticket ?? ''), esc(i.by), esc(i.reason ?? '')]),
					)
		}${
			report.controlList.length === 0
				? ''
				: `<h3>Controls (pause, resume, stop, restart: not work)</h3>${table(
						['when', 'what', 'by'],
						report.controlList.map(i => [time(i.at), esc(i.kind), esc(i.by)]),
					)}`
		}</div>`,
		...(report.healList.length > 0
			? [
					`<h2>Heals</h2><div class="card" id="heals">${table(
						['heal', 'outcome', 'why', 'files'],
						report.healList.map(h => [String(h.heal), esc(h.outcome), esc(firstLine(h.reason)), esc(h.files.join(', '))]),
					)}</div>`,
				]
			: []),
		...(report.engines.some(r => r.profile !== 'agent')
			? [
					`<h2>Engine profiles</h2><div class="card" id="engines">${table(
						['profile', 'agent', 'attempts', 'done', 'failed', 'not charged', 'time', 'worker cost'],
						report.engines.map(r => [
							esc(r.profile),
							esc(r.agent),
							String(r.attempts),
							String(r.done),
							String(r.failed),
							String(r.notCharged + r.open),
							`${r.seconds.toFixed(1)}s`,
							r.costReported ? esc(usd(r.costUsd)) : NA,
						]),
						[2, 3, 4, 5, 6, 7],
					)}</div>`,
				]
			: []),
		`<h2>Cost by agent</h2><div class="card" id="cost">${
			costs.length === 0
				? '<p class="muted">No agent reported usage.</p>'
				: table(
						['agent', 'role', 'runs', 'input tokens', 'output tokens', 'cost'],
						costs.map(c => [
							esc(c.agent),
							esc(c.role),
							String(c.runs),
							c.inputTokens.toLocaleString('en-US'),
							c.outputTokens.toLocaleString('en-US'),
							c.costUsd > 0 ? esc(usd(c.costUsd)) : NA,
						]),
						[2, 3, 4, 5],
					)
		}</div>`,
	];
	return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta http-equiv="Content-Security-Policy" content="${CSP}">
<meta name="viewport" content="width=device-width,initial-scale=1">
<title>proofloop run ${esc(report.runId)}</title><style>${STYLE}</style></head>
<body>
${sections.join('\n')}
<p class="muted">Written by proofloop from ${esc(String(events.length))} events of the run's log.</p>
</body></html>
`;
}
