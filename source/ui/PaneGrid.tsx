import {Box, Text} from 'ink';
import type {RunState} from '../core/run-state.js';
import type {PaneGrid as Grid} from './layout.js';
import {plural} from './text.js';
import {useTheme} from './theme.js';
import {WorkerPane} from './WorkerPane.js';

type Props = {
	grid: Grid;
	state: RunState;
	/** Running ticket ids, in pane order. */
	running: readonly string[];
	selected?: string;
	logFileOf: (ticket: string, attempt: number) => string;
	/** A log's shown lines this frame. */
	linesOf: (file: string | undefined) => readonly string[];
	/** The spinners' glyph this frame. */
	spinner: string;
	maxAttempts: number;
	now: number;
};

/** Which panes are on screen: the first ones, or a window that keeps the selected one in view. */
export function visiblePanes(running: readonly string[], visible: number, selected?: string): string[] {
	if (visible <= 0) return [];
	const index = selected === undefined ? -1 : running.indexOf(selected);
	const start = index >= visible ? index - visible + 1 : 0;
	return running.slice(start, start + visible);
}

/** The running workers' panes: a grid in a wide terminal, a stack in a narrow one, each of bounded height. */
export function PaneGrid({grid, state, running, selected, logFileOf, linesOf, spinner, maxAttempts, now}: Props) {
	const theme = useTheme();
	if (grid.height <= 0 || grid.width <= 0) return null;
	if (running.length === 0) {
		return (
			<Box width={grid.width} height={grid.height} flexDirection="column">
				<Text color={theme.color('muted')} wrap="truncate-end">
					{state.stopped ? 'the run has stopped' : state.paused ? 'paused: no attempt running, none will start until resumed (p)' : 'no attempt running'}
				</Text>
			</Box>
		);
	}
	const shown = visiblePanes(running, grid.visible, selected);
	const rows: string[][] = [];
	for (let i = 0; i < shown.length; i += grid.columns) rows.push(shown.slice(i, i + grid.columns));
	const hidden = running.length - shown.length;
	return (
		<Box width={grid.width} height={grid.height} flexDirection="column" overflow="hidden">
			{rows.map(row => (
				<Box key={row.join(' ')} flexDirection="row" height={grid.paneHeight} gap={1}>
					{row.map(id => {
						const worker = state.workers.get(id);
						const logFile = worker ? logFileOf(id, worker.attempt) : undefined;
						return (
							<WorkerPane
								key={id}
								id={id}
								ticket={state.tickets.get(id)}
								worker={worker}
								lines={linesOf(logFile)}
								hasLog={logFile !== undefined}
								spinner={spinner}
								maxAttempts={maxAttempts}
								width={grid.paneWidth}
								height={grid.paneHeight}
								selected={id === selected}
								now={now}
							/>
						);
					})}
				</Box>
			))}
			{hidden > 0 && grid.moreLine > 0 ? (
				<Text color={theme.color('muted')} wrap="truncate-end">
					{`+${plural(hidden, 'more pane')} (tab cycles, enter zooms)`}
				</Text>
			) : null}
		</Box>
	);
}
