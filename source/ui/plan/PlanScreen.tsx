import {Box, Text} from 'ink';
import {useEffect, useState} from 'react';
import type {PlanAgentView, PlanProgress, PlanView} from '../../plan/progress.js';
import {cleanLine, formatDuration} from '../text.js';
import {useTheme, type Tone} from '../theme.js';
import {useTerminalSize} from '../use-terminal-size.js';

const STATE_TONE: Record<PlanAgentView['state'], Tone> = {running: 'accent', done: 'ok', failed: 'bad'};

function usePlanView(progress: PlanProgress): PlanView {
	const [view, setView] = useState(progress.view);
	useEffect(() => progress.subscribe(() => setView(progress.view)), [progress]);
	return view;
}

/** One plan agent: its step, role, state and the tail of what it said, `height` lines tall. */
function AgentPane({agent, width, height, now}: {agent: PlanAgentView; width: number; height: number; now: number}) {
	const theme = useTheme();
	const shown = agent.lines.slice(-Math.max(0, height - 3));
	const state = agent.state === 'running' ? `running ${formatDuration(now - agent.startedAt)}` : agent.state;
	return (
		<Box
			width={width}
			height={height}
			flexDirection="column"
			flexShrink={0}
			overflow="hidden"
			paddingX={1}
			borderStyle="round"
			borderColor={theme.color(STATE_TONE[agent.state])}
		>
			<Text wrap="truncate-end" bold>
				{cleanLine(agent.name, 60)} <Text color={theme.color('muted')}>· {agent.role} · </Text>
				<Text color={theme.color(STATE_TONE[agent.state])}>{state}</Text>
				{agent.detail ? <Text color={theme.color('muted')}> · {cleanLine(agent.detail, 200)}</Text> : null}
			</Text>
			{shown.map((line, i) => (
				<Text key={i} wrap="truncate-end">
					{cleanLine(line, 400)}
				</Text>
			))}
		</Box>
	);
}

/**
 * The plan pass like a run: a header, a pane per agent (the running ones, else
 * the last ones), and the plan's own progress lines below.
 */
export function PlanScreen({progress, now: fixedNow}: {progress: PlanProgress; now?: number}) {
	const view = usePlanView(progress);
	const theme = useTheme();
	const {columns, rows} = useTerminalSize();
	const [tick, setTick] = useState(Date.now());
	useEffect(() => {
		if (fixedNow !== undefined) return;
		const timer = setInterval(() => setTick(Date.now()), 1000);
		return () => clearInterval(timer);
	}, [fixedNow]);
	const now = fixedNow ?? tick;
	const running = view.agents.filter(a => a.state === 'running');
	const panes = (running.length > 0 ? running : view.agents.slice(-1)).slice(-4);
	const logRows = Math.min(8, Math.max(3, Math.floor(rows / 4)));
	const paneHeight = Math.max(5, rows - logRows - 3);
	const paneWidth = panes.length > 0 ? Math.floor(columns / panes.length) : columns;
	return (
		<Box flexDirection="column" width={columns}>
			<Text wrap="truncate-end">
				<Text bold color={theme.color('accent')}>
					proofloop plan
				</Text>{' '}
				{view.id} · batch {cleanLine(view.batch, 60)} · {formatDuration(now - view.startedAt)} · {running.length} agent(s) running
				{view.outcome ? <Text color={theme.color('muted')}> · {cleanLine(view.outcome, 200)}</Text> : null}
			</Text>
			<Box flexDirection="row" height={paneHeight}>
				{panes.map(agent => (
					<AgentPane key={agent.name} agent={agent} width={paneWidth} height={paneHeight} now={now} />
				))}
			</Box>
			{view.lines.slice(-logRows).map((line, i) => (
				<Text key={i} wrap="truncate-end">
					{cleanLine(line, 400)}
				</Text>
			))}
		</Box>
	);
}
