import {Box, Text} from 'ink';
import type {OracleView} from '../core/run-state.js';
import {cleanText, formatAgo, formatClock} from './text.js';
import {useTheme, type Tone} from './theme.js';

const verdictLabel = (verdict: string): string => ({done: 'done', not_done: 'not done', cannot_judge: 'cannot judge'})[verdict] ?? cleanText(verdict, 30);
const exitTone = (exit: number): Tone => (exit === 0 ? 'ok' : exit === 1 ? 'warn' : 'bad');

const holdingText = (oracle: OracleView): string =>
	oracle.holding
		.map(h => `${cleanText(h.id, 40)} ${cleanText(h.status, 20)}${h.reason && h.reason !== h.status ? `: ${cleanText(h.reason, 80)}` : ''}`)
		.join(' · ');

/** The oracle's last verdict and exit code, when it was taken, and which tickets hold it back (1 or 2 lines). */
export function OracleBar({oracle, now, width, lines}: {oracle?: OracleView; now: number; width: number; lines: number}) {
	const theme = useTheme();
	if (!oracle) {
		return (
			<Box width={width} height={lines}>
				<Text wrap="truncate-end">
					<Text bold>oracle</Text>
					<Text color={theme.color('muted')}> no verdict yet</Text>
				</Text>
			</Box>
		);
	}
	const taken = Date.parse(oracle.at);
	const when = `${formatClock(oracle.at)}${Number.isNaN(taken) ? '' : `, ${formatAgo(now - taken)}`}`;
	const holding = oracle.holding.length > 0;
	return (
		<Box width={width} height={lines} flexDirection="column">
			<Text wrap="truncate-end">
				<Text bold>oracle</Text>{' '}
				<Text bold color={theme.color(exitTone(oracle.exit))}>
					exit {oracle.exit} ({verdictLabel(oracle.verdict)})
				</Text>
				{`  ${when}  `}
				{cleanText(oracle.summary, 200)}
				{holding && lines < 2 ? <Text color={theme.color('warn')}>{`  held back by: ${holdingText(oracle)}`}</Text> : null}
			</Text>
			{holding && lines >= 2 ? (
				<Text wrap="truncate-end" color={theme.color('warn')}>
					{`  held back by ${oracle.holding.length}: ${holdingText(oracle)}`}
				</Text>
			) : null}
		</Box>
	);
}
