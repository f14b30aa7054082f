// Where each ticket's time went, from a run's event log: the time between one
// of a ticket's events and its next (a stage starting, the agent spawned or
// exited, a result), per segment over the tickets: p50 and the sum, biggest first.

const q = (xs, p) => {
	const sorted = [...xs].sort((a, b) => a - b);
	return sorted.length === 0 ? 0 : sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))];
};

const label = e => (e.type === 'stage' ? `stage ${e.stage}` : e.type);

/** `events`: the run's log. Rows of {segment, n, p50_ms, sum_ms}, the biggest sum first. */
export function stageTimeline(events) {
	const last = new Map();
	const segments = new Map();
	for (const e of events) {
		if (!e.ticket || e.attempt === undefined) continue;
		const key = `${e.ticket}#${e.attempt}`;
		const now = {label: label(e), at: Date.parse(e.at)};
		const before = last.get(key);
		last.set(key, now);
		if (!before) continue;
		const name = `${before.label} → ${now.label}`;
		(segments.get(name) ?? segments.set(name, []).get(name)).push(now.at - before.at);
	}
	return [...segments]
		.map(([segment, xs]) => ({segment, n: xs.length, p50_ms: q(xs, 0.5), sum_ms: xs.reduce((a, b) => a + b, 0)}))
		.sort((a, b) => b.sum_ms - a.sum_ms);
}
