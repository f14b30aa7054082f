import {Box, Text} from 'ink';
import {useTheme} from './theme.js';

export const helpLines: ReadonlyArray<[string, string]> = [
	['↑ ↓  home end  pgup pgdn', 'select a ticket'],
	['tab  shift+tab  ← →', 'jump between worker panes'],
	['enter', 'zoom the selected ticket’s pane full screen (enter/esc: back)'],
	['p', 'pause dispatch (running attempts finish) / resume'],
	['g', 'mark the selected ticket human-gated: asks a reason, then y/n'],
	['d  ctrl+c', 'detach: this screen closes, the run goes on (`proofloop attach` comes back)'],
	['q', 'stop the run (asks y/n first)'],
	['?', 'this help (any key closes it)'],
];

/** The keys. Nothing here marks a ticket done, edits one or changes the batch: only the oracle ends a run. */
export function HelpOverlay({width, height}: {width: number; height: number}) {
	const theme = useTheme();
	if (height <= 0) return null;
	const keyWidth = Math.max(...helpLines.map(([keys]) => keys.length)) + 2;
	const lines = [
		<Text key="title" bold color={theme.color('accent')} wrap="truncate-end">
			keys
		</Text>,
		...helpLines.map(([keys, what]) => (
			<Text key={keys} wrap="truncate-end">
				<Text bold>{keys.padEnd(keyWidth)}</Text>
				{what}
			</Text>
		)),
		<Text key="note" color={theme.color('muted')} wrap="truncate-end">
			No key marks a ticket done or changes the batch: the run ends when the oracle says so.
		</Text>,
	];
	return (
		<Box width={width} height={height} flexDirection="column" overflow="hidden">
			{lines.slice(0, height)}
		</Box>
	);
}
