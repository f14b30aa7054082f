import {Box, Text, useInput, useStdin} from 'ink';
import {useMemo} from 'react';
import type {SummaryLine} from './run-summary.js';
import {makeTheme, noColorRequested, ThemeContext} from './theme.js';
import {useTerminalSize} from './use-terminal-size.js';

export const closeHint = 'press any key to close · the run has ended';

/** The end of a run, on screen until a key: what `proofloop report` says, in short. */
export function RunSummary({lines, onClose, noColor}: {lines: SummaryLine[]; onClose: () => void; noColor?: boolean}) {
	const theme = useMemo(() => makeTheme(noColor ?? noColorRequested()), [noColor]);
	const {columns, rows} = useTerminalSize();
	const {isRawModeSupported} = useStdin();
	useInput(() => onClose(), {isActive: isRawModeSupported});
	const width = Math.max(20, columns);
	const room = Math.max(1, rows - 1);
	// Too long for the screen: keep the head (verdict, table) and say what was cut.
	const shown =
		lines.length > room ? [...lines.slice(0, room - 1), {text: `… ${lines.length - room + 1} more lines: proofloop report`, tone: 'muted' as const}] : lines;
	return (
		<ThemeContext.Provider value={theme}>
			<Box width={width} flexDirection="column" overflow="hidden">
				{shown.map((line, i) => (
					<Text key={i} wrap="truncate-end" bold={line.bold} color={line.tone ? theme.color(line.tone) : undefined}>
						{line.text || ' '}
					</Text>
				))}
				<Text wrap="truncate-end" color={theme.color('accent')}>
					{closeHint}
				</Text>
			</Box>
		</ThemeContext.Provider>
	);
}
