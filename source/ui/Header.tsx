import {Box, Text} from 'ink';
import {agentCosts, formatCost} from '../core/agent-cost.js';
import {etaMs} from '../core/eta.js';
import type {RunState} from '../core/run-state.js';
import {cleanText, formatDuration, plural} from './text.js';
import {useTheme, type Tone} from './theme.js';

export function runStatus(state: RunState): {label: string; tone: Tone} {
	if (state.stopped) {
		return state.stopped.reason === 'finished'
			? {label: 'FINISHED', tone: state.stopped.oracleExit === 0 ? 'ok' : 'warn'}
			: {label: `STOPPED (${state.stopped.reason})`, tone: 'bad'};
	}
	if (state.stopping) return {label: 'STOPPING', tone: 'bad'};
	// Nothing replayed yet (the log streams in right after attaching).
	if (!state.runId) return {label: 'ATTACHING', tone: 'muted'};
	if (state.paused) return {label: 'PAUSED', tone: 'warn'};
	return {label: 'RUNNING', tone: 'ok'};
}

type Segment = {text: string; tone?: Tone; bold?: boolean; /** Dropped first when the line is too long: higher goes first. */ drop: number};

const SEPARATOR = '  ';

/** The header's pieces, in order. */
export function headerSegments(state: RunState, now: number): Segment[] {
	const tickets = [...state.tickets.values()];
	const done = tickets.filter(t => t.status === 'done').length;
	const gated = tickets.filter(t => t.status === 'human_gated').length;
	const status = runStatus(state);
	const running = state.workers.size;
	const segments: Segment[] = [
		{text: 'proofloop', tone: 'accent', bold: true, drop: 3},
		{text: `batch ${cleanText(state.batch, 60) || '…'}`, drop: 1},
		{text: state.startedAt === undefined ? '--:--' : formatDuration(now - state.startedAt), drop: 2},
		{text: status.label, tone: status.tone, bold: true, drop: 0},
	];
	// Never dropped: a run whose agents are not boxed is a different kind of run.
	if (state.sandbox === 'none') segments.push({text: 'UNSANDBOXED', tone: 'bad', bold: true, drop: 0});
	if (state.paused && !state.stopped) {
		segments.push({text: running > 0 ? `${plural(running, 'attempt')} still running` : 'nothing running', tone: 'warn', drop: 0});
	}
	segments.push(
		{text: `done ${done}/${tickets.length}${gated > 0 ? ` +${gated} gated` : ''}`, bold: true, drop: 0},
		{text: plural(state.interventions, 'intervention'), drop: 0},
	);
	if (state.heals > 0) segments.push({text: plural(state.heals, 'heal'), tone: 'warn', drop: 2});
	if (!state.stopped) {
		const eta = etaMs(tickets, state.times.durations, Math.max(1, state.concurrency, running));
		if (eta !== undefined) segments.push({text: `ETA ~${formatDuration(eta)}`, tone: 'muted', drop: 2});
	}
	const costs = agentCosts(state.ledger);
	if (costs.length > 0) {
		// Per agent: one that reports no cost is "n/a", never "$0.00"; one that reports no tokens either has no token count.
		const tokens = state.usage.inputTokens + state.usage.outputTokens;
		segments.push({text: `${formatCost(costs)}${tokens > 0 ? ` · ${Math.round(tokens / 1000)}k tok` : ''}`, tone: 'muted', drop: 3});
	}
	if (state.runId) segments.push({text: `run ${cleanText(state.runId, 40)}`, tone: 'muted', drop: 4});
	return segments;
}

/** Drop the least important pieces until the line fits. */
export function fitSegments(segments: Segment[], width: number): Segment[] {
	let kept = segments;
	const length = (list: Segment[]): number => list.reduce((sum, s) => sum + s.text.length, 0) + SEPARATOR.length * Math.max(0, list.length - 1);
	while (length(kept) > width) {
		const worst = Math.max(...kept.map(s => s.drop));
		if (worst <= 0) break;
		const index = kept.findIndex(s => s.drop === worst);
		kept = kept.filter((_, i) => i !== index);
	}
	return kept;
}

/** One line: batch, run time, RUNNING/PAUSED/STOPPING/FINISHED (+ attempts still running when paused), done/total, interventions, ETA, cost. */
export function Header({state, now, width}: {state: RunState; now: number; width: number}) {
	const theme = useTheme();
	const segments = fitSegments(headerSegments(state, now), width);
	// One Text per piece, not one line: Ink caches every text it lays out and
	// never forgets, so the clock that changes every second stays a short string.
	return (
		<Box width={width} height={1} overflow="hidden">
			{segments.map((s, i) => (
				<Box key={i} flexShrink={s.drop > 0 ? 1 : 0}>
					<Text wrap="truncate-end" bold={s.bold} color={s.tone ? theme.color(s.tone) : undefined}>
						{i > 0 ? SEPARATOR : ''}
						{s.text}
					</Text>
				</Box>
			))}
		</Box>
	);
}
