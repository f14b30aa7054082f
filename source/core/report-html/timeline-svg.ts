import {clip, duration, esc, firstLine} from './escape.js';
import type {Outcome, Timeline} from './timeline.js';

export const OUTCOME_COLORS: Record<Outcome, string> = {
	ok: '#2f9e44',
	failed: '#e03131',
	interrupted: '#868e96',
	waiting: '#f59f00',
	running: '#1c7ed6',
	queued: '#dee2e6',
};

export const OUTCOME_LABELS: Record<Outcome, string> = {
	ok: 'passed',
	failed: 'failed here',
	interrupted: 'interrupted',
	waiting: 'parked / limited',
	running: 'running',
	queued: 'queued (deps, a slot, a retry)',
};

/** The stage's name inside its bar, when the bar has room. */
const SHORT: Record<string, string> = {
	prepare: 'prep',
	plan: 'plan',
	implement: 'implement',
	checks: 'checks',
	guard: 'guard',
	review: 'review',
	merge: 'merge',
	verify: 'verify',
	queued: 'queued',
};

/** Stages of one outcome told apart by shade (the color is the outcome). */
const STAGE_SHADE: Record<string, number> = {prepare: 0.4, plan: 0.55, implement: 1, checks: 0.72, guard: 0.5, review: 0.62, merge: 0.88, verify: 0.58};

const LABEL_W = 260;
const ROW_H = 28;
const BAR_H = 18;
const AXIS_H = 26;

/** One row per ticket, one bar per stage of each attempt, on a shared time axis. */
export function timelineSvg(timeline: Timeline, titles: Map<string, string>, width = 1180): string {
	const span = Math.max(1, timeline.end - timeline.start);
	const plot = width - LABEL_W - 16;
	const x = (t: number) => LABEL_W + ((t - timeline.start) / span) * plot;
	const height = AXIS_H + timeline.rows.length * ROW_H + 8;
	const ticks = axisTicks(span / 1000).map(s => {
		const tx = x(timeline.start + s * 1000);
		return (
			`<line x1="${tx.toFixed(1)}" y1="${AXIS_H - 6}" x2="${tx.toFixed(1)}" y2="${height - 4}" class="grid"/><text x="${tx.toFixed(1)}" ` +
			`y="${AXIS_H - 10}" class="tick">${esc(duration(s))}</text>`
		);
	});
	const rows = timeline.rows.map((row, index) => {
		const y = AXIS_H + index * ROW_H;
		const title = titles.get(row.ticket) ?? '';
		const label =
			`<text x="8" y="${y + ROW_H / 2 + 4}" class="rowlabel"><tspan class="tid">${esc(row.ticket)}</tspan> ` +
			`${esc(clip(title, 30))}<title>${esc(`${row.ticket} ${title}`)}</title></text>`;
		const bars = row.segments.map(s => {
			const x0 = x(s.start);
			const w = Math.max(2, x(s.end) - x0 - 1);
			const tip =
				`${row.ticket}${s.attempt ? ` attempt ${s.attempt}` : ''}: ${s.stage}, ${OUTCOME_LABELS[s.outcome]}, ` +
				`${duration((s.end - s.start) / 1000)}${s.detail ? `\n${firstLine(s.detail)}` : ''}`;
			const name = SHORT[s.stage] ?? s.stage;
			const shown = w > name.length * 6.5 + 6 ? name : w > 11 && s.outcome !== 'queued' ? name[0]! : '';
			const text = shown
				? `<text x="${(x0 + w / 2).toFixed(1)}" y="${y + ROW_H / 2 + 4}" class="barlabel${s.outcome === 'queued' ? ' dark' : ''}">${esc(shown)}</text>`
				: '';
			// A failure or a wait is said at full strength; only passed (and cut) stages are shaded.
			const shade = s.outcome === 'ok' || s.outcome === 'interrupted' || s.outcome === 'running' ? (STAGE_SHADE[s.stage] ?? 1) : 1;
			return (
				`<g class="bar" data-stage="${esc(s.stage)}" data-outcome="${s.outcome}"><rect x="${x0.toFixed(1)}" y="${y + (ROW_H - BAR_H) / 2}" ` +
				`width="${w.toFixed(1)}" height="${BAR_H}" rx="3" fill="${OUTCOME_COLORS[s.outcome]}" fill-opacity="${shade}"/>${text}<title>${esc(tip)}</title></g>`
			);
		});
		return (
			`<g class="row" ` +
			`data-ticket="${esc(row.ticket)}">${index % 2 ? `<rect x="0" y="${y}" width="${width}" height="${ROW_H}" class="stripe"/>` : ''}${label}${bars.join('')}</g>`
		);
	});
	return (
		`<svg class="timeline" xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img" ` +
		`aria-label="timeline">${ticks.join('')}${rows.join('')}</svg>`
	);
}

/** About eight round ticks over the run's length. */
function axisTicks(seconds: number): number[] {
	const steps = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 14400];
	const step = steps.find(s => seconds / s <= 8) ?? 28800;
	const ticks: number[] = [];
	for (let s = 0; s <= seconds + 1e-9; s += step) ticks.push(s);
	return ticks;
}

export function legendHtml(): string {
	const outcomes = (Object.keys(OUTCOME_COLORS) as Outcome[]).map(o => `<span><i style="background:${OUTCOME_COLORS[o]}"></i>${esc(OUTCOME_LABELS[o])}</span>`);
	const stages = Object.entries(STAGE_SHADE).map(
		([stage, shade]) => `<span><i style="background:${OUTCOME_COLORS.ok};opacity:${shade}"></i>${esc(stage)}</span>`,
	);
	return `<div class="legend"><b>outcome</b>${outcomes.join('')}</div><div class="legend"><b>stage (shade; initial in a narrow bar)</b>${stages.join('')}</div>`;
}
