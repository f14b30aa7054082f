import {Box, Text} from 'ink';
import Spinner from 'ink-spinner';
import {memo} from 'react';
import type {TicketView, WorkerView} from '../core/run-state.js';
import {cleanText, formatDuration} from './text.js';
import {useTheme} from './theme.js';
import {useLogTail} from './use-log-tail.js';

type Props = {
	id: string;
	ticket?: TicketView;
	/** Set while an attempt runs; a zoomed pane of a finished ticket shows its last attempt. */
	worker?: WorkerView;
	/** The attempt log to tail (undefined: nothing to show yet). */
	logFile?: string;
	attempt?: number;
	maxAttempts: number;
	width: number;
	height: number;
	selected: boolean;
	now: number;
	pollMs?: number;
};

/** Border (2) + title + stage line. */
export const PANE_CHROME_LINES = 4;

/**
 * One worker: ticket id and title, stage, attempt n/max, elapsed, a spinner and
 * the tail of its log. Exactly `height` lines tall, each log line cut to the
 * width (never wrapped), so a pane can never push the frame past the terminal.
 */
export const WorkerPane = memo(function WorkerPane({id, ticket, worker, logFile, attempt, maxAttempts, width, height, selected, now, pollMs}: Props) {
	const theme = useTheme();
	const logLines = Math.max(0, height - PANE_CHROME_LINES);
	const lines = useLogTail(logFile, {intervalMs: pollMs});
	if (height < 3 || width < 6) return null;
	const shown = lines.slice(-logLines);
	const title = cleanText(ticket?.title ?? '', 200);
	const stage = worker
		? `${worker.stage} · attempt ${worker.attempt}/${worker.maxAttempts} · ${formatDuration(now - worker.startedAt)} · ${cleanText(worker.agent, 30)}`
		: `not running · attempt ${attempt ?? ticket?.attempts ?? 0}/${maxAttempts} · ${cleanText(ticket?.status ?? '', 20)}${ticket?.lastFailure ? ` · ${cleanText(ticket.lastFailure, 200)}` : ''}`;
	return (
		<Box
			width={width}
			height={height}
			flexDirection="column"
			flexShrink={0}
			overflow="hidden"
			paddingX={1}
			// Without colour the selected pane still stands out by its double border.
			borderStyle={selected ? 'double' : 'round'}
			borderColor={theme.color(selected ? 'accent' : 'muted')}
		>
			<Text wrap="truncate-end" bold>
				{worker ? (
					<Text color={theme.color('accent')}>
						<Spinner type="dots" />{' '}
					</Text>
				) : (
					'· '
				)}
				{cleanText(id, 40)}
				{title ? `  ${title}` : ''}
			</Text>
			<Text wrap="truncate-end" color={theme.color(worker ? 'info' : 'muted')}>
				{stage}
			</Text>
			<Box flexDirection="column" height={logLines} overflow="hidden">
				{shown.length === 0 && logLines > 0 ? (
					<Text color={theme.color('muted')} wrap="truncate-end">
						{logFile ? '(no output yet)' : '(no log)'}
					</Text>
				) : (
					shown.map((line, index) => (
						// Lines have no identity of their own; position is what is drawn.
						// eslint-disable-next-line react/no-array-index-key
						<Text key={index} wrap="truncate-end">
							{line || ' '}
						</Text>
					))
				)}
			</Box>
		</Box>
	);
});
