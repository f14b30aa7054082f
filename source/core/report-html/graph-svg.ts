import {clip, esc} from './escape.js';

export type GraphNode = {id: string; title: string; status: string; deps: string[]};

export const STATUS_COLORS: Record<string, string> = {
	done: '#2f9e44',
	merged: '#74b816',
	failed: '#e03131',
	blocked: '#f59f00',
	human_gated: '#7048e8',
	in_progress: '#1c7ed6',
};
const OTHER = '#adb5bd';

const NODE_W = 150;
const NODE_H = 40;
const COL_GAP = 70;
const ROW_GAP = 14;
const PAD = 12;

/** Columns by dependency depth (a ticket sits right of everything it waits on); a cycle or an unknown dep cannot loop. */
function depths(nodes: GraphNode[]): Map<string, number> {
	const byId = new Map(nodes.map(n => [n.id, n]));
	const depth = new Map<string, number>();
	const visit = (id: string, trail: Set<string>): number => {
		const known = depth.get(id);
		if (known !== undefined) return known;
		if (trail.has(id)) return 0;
		trail.add(id);
		const deps = (byId.get(id)?.deps ?? []).filter(d => byId.has(d));
		const d = deps.length === 0 ? 0 : 1 + Math.max(...deps.map(dep => visit(dep, trail)));
		trail.delete(id);
		depth.set(id, d);
		return d;
	};
	for (const n of nodes) visit(n.id, new Set());
	return depth;
}

/** The batch's dependency graph: an arrow from each dependency to the ticket that waits on it, nodes colored by final status. */
export function graphSvg(nodes: GraphNode[]): string {
	if (nodes.length === 0) return '<p class="muted">No tickets.</p>';
	const depth = depths(nodes);
	const columns: GraphNode[][] = [];
	for (const n of nodes) (columns[depth.get(n.id) ?? 0] ??= []).push(n);
	const pos = new Map<string, {x: number; y: number}>();
	columns.forEach((column, c) => column.forEach((n, r) => pos.set(n.id, {x: PAD + c * (NODE_W + COL_GAP), y: PAD + r * (NODE_H + ROW_GAP)})));
	const width = PAD * 2 + columns.length * NODE_W + (columns.length - 1) * COL_GAP;
	const height = PAD * 2 + Math.max(...columns.map(c => c?.length ?? 0)) * (NODE_H + ROW_GAP) - ROW_GAP;
	const edges = nodes.flatMap(n =>
		n.deps.flatMap(dep => {
			const from = pos.get(dep);
			const to = pos.get(n.id);
			if (!from || !to) return [];
			const x1 = from.x + NODE_W;
			const y1 = from.y + NODE_H / 2;
			const x2 = to.x - 3;
			const y2 = to.y + NODE_H / 2;
			const bend = Math.max(20, (x2 - x1) / 2);
			return [
				`<path class="edge" data-from="${esc(dep)}" data-to="${esc(n.id)}" d="M${x1},${y1} C${x1 + bend},${y1} ${x2 - bend},${y2} ${x2},${y2}" ` +
					`marker-end="url(#arrow)"/>`,
			];
		}),
	);
	const boxes = nodes.map(n => {
		const {x, y} = pos.get(n.id)!;
		const color = STATUS_COLORS[n.status] ?? OTHER;
		const tooltip = `${n.id} (${n.status}) ${n.title}${n.deps.length ? `\nwaits on ${n.deps.join(', ')}` : ''}`;
		return (
			`<g class="node" data-ticket="${esc(n.id)}"><rect x="${x}" y="${y}" width="${NODE_W}" height="${NODE_H}" rx="6" fill="#fff" stroke="${color}" ` +
			`stroke-width="2"/>` +
			`<rect x="${x}" y="${y}" width="6" height="${NODE_H}" rx="2" fill="${color}"/>` +
			`<text x="${x + 14}" y="${y + 16}" class="nid">${esc(n.id)} <tspan class="nstatus">${esc(clip(n.status, 12))}</tspan></text>` +
			`<text x="${x + 14}" y="${y + 31}" ` +
			`class="ntitle">${esc(clip(n.title, 22))}</text><title>${esc(tooltip)}</title></g>`
		);
	});
	const arrow =
		'<defs><marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 ' +
		'z" fill="#868e96"/></marker></defs>';
	return (
		`<svg class="graph" xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img" ` +
		`aria-label="dependency graph">${arrow}${edges.join('')}${boxes.join('')}</svg>`
	);
}
