import {Box, Text} from 'ink';
import {memo} from 'react';
import type {TicketView, WorkerView} from '../core/run-state.js';
import {cleanText, formatDuration} from './text.js';
import {useTheme} from './theme.js';
import {LogLines} from './LogLines.js';

type Props = {
	id: string;
	ticket?: TicketView;
	/** Set while an attempt runs; a zoomed pane of a finished ticket shows its last attempt. */
	worker?: WorkerView;
	/** The shown lines of its attempt log (read on the frame clock, see use-frames). */
	lines: readonly string[];
	/** Whether there is an attempt log at all (else: "(no log)"). */
	hasLog: boolean;
	/** The spinner's glyph this frame (running workers only). */
	spinner?: string;
	attempt?: number;
	maxAttempts: number;
	width: number;
	height: number;
	selected: boolean;
	now: number;
};

/** Border (2) + title + stage line. */
export const PANE_CHROME_LINES = 4;

/**
 * One worker: ticket id and title, stage, attempt n/max, elapsed, a spinner and
 * the tail of its log. Exactly `height` lines tall, each log line cut to the
 * width (never wrapped), so a pane can never push the frame past the terminal.
 */
export const WorkerPane = memo(function WorkerPane({id, ticket, worker, lines, hasLog, spinner, attempt, maxAttempts, width, height, selected, now}: Props) {
	const theme = useTheme();
	const logLines = Math.max(0, height - PANE_CHROME_LINES);
	if (height < 3 || width < 6) return null;
	const shown = lines.slice(-logLines);
	const title = cleanText(ticket?.title ?? '', 200);
	// Border (2) and padding (2).
	const inner = Math.max(1, width - 4);
	const stage = worker
		? `${worker.stage}${worker.waitingForSlot ? ` · queued for ${worker.waitingForSlot}` : ''}${worker.stalled ? ' · STALLED (silent)' : ''} · attempt ` +
			`${worker.attempt}/${worker.maxAttempts} · ${cleanText(worker.agent, 30)}${worker.host ? ` on ${cleanText(worker.host, 40)}` : ''}`
		: `not running · attempt ${attempt ?? ticket?.attempts ?? 0}/${ticket?.budget ?? maxAttempts} · ` +
			`${cleanText(ticket?.status ?? '', 20)}${ticket?.lastFailure ? ` · ${cleanText(ticket.lastFailure, 200)}` : ''}`;
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
				{worker ? <Text color={theme.color('accent')}>{`${spinner ?? '·'} `}</Text> : '· '}
				{cleanText(id, 40)}
				{title ? `  ${title}` : ''}
			</Text>
			<Box height={1} width={inner}>
				{/* The clock is its own Text: Ink caches every text it lays out, so keep the ever-changing part small. */}
				{worker ? (
					<Box flexShrink={0}>
						<Text color={theme.color('info')}>{`${formatDuration(now - worker.startedAt)} `}</Text>
					</Box>
				) : null}
				<Text wrap="truncate-end" color={theme.color(worker ? 'info' : 'muted')}>
					{stage}
				</Text>
			</Box>
			{shown.length === 0 && logLines > 0 ? (
				<Box height={logLines}>
					<Text color={theme.color('muted')} wrap="truncate-end">
						{hasLog ? '(no output yet)' : '(no log)'}
					</Text>
				</Box>
			) : (
				<LogLines lines={shown} width={inner} height={logLines} />
			)}
		</Box>
	);
});
