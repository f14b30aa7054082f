// Where a real run's time went, from its event log: how busy the agent slots
// were, the harness's own time per ticket before and after its agent, and how
// long a start waited after the slot or dependency that allowed it came free.

const at = event => Date.parse(event.at);

function median(xs) {
	const sorted = [...xs].sort((a, b) => a - b);
	return sorted.length === 0 ? 0 : sorted[Math.floor(sorted.length / 2)];
}

function pct(xs, p) {
	const sorted = [...xs].sort((a, b) => a - b);
	return sorted.length === 0 ? 0 : sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

const round = (x, digits = 3) => Math.round(x * 10 ** digits) / 10 ** digits;

/** `events`: the run's log; `workers`: its concurrency. */
export function timeline(events, workers) {
	const started = new Map();
	const spawned = new Map();
	const exited = new Map();
	let agentMs = 0;
	const before = [];
	const after = [];
	const lags = [];
	// The latest moment something came free that could let a ticket start: an agent exit, a done, the run's start.
	let freed;
	for (const e of events) {
		const key = `${e.ticket}#${e.attempt}`;
		if (e.type === 'run.started' || e.type === 'agent.exited' || e.type === 'ticket.done') freed = at(e);
		if (e.type === 'attempt.started') {
			started.set(key, at(e));
			if (freed !== undefined) lags.push(at(e) - freed);
		}
		if (e.type === 'agent.spawned') {
			spawned.set(key, at(e));
			if (started.has(key)) before.push(at(e) - started.get(key));
		}
		if (e.type === 'agent.exited' && spawned.has(key)) {
			exited.set(key, at(e));
			agentMs += at(e) - spawned.get(key);
		}
		if (e.type === 'ticket.done' && exited.has(key)) after.push(at(e) - exited.get(key));
	}
	const runStart = events.find(e => e.type === 'run.started');
	const doneAt = events.filter(e => e.type === 'ticket.done').map(at);
	const span = runStart && doneAt.length > 0 ? Math.max(...doneAt) - at(runStart) : 0;
	return {
		agent_slots_busy: span > 0 ? round(agentMs / (span * workers)) : 0,
		harness_before_agent_s_p50: round(median(before) / 1000),
		harness_after_agent_s_p50: round(median(after) / 1000),
		start_after_freed_ms_p50: median(lags),
		start_after_freed_ms_p90: pct(lags, 90),
	};
}
