import type {ReactElement} from 'react';
import {Box, Text} from 'ink';
import type {RunState} from '../core/run-state.js';
import {ConfirmPrompt} from './ConfirmPrompt.js';
import {GatePrompt} from './GatePrompt.js';
import {cleanText} from './text.js';
import {useTheme} from './theme.js';
import type {Message, Mode} from './ui-model.js';

const hints = '↑↓ select · tab panes · enter zoom · p pause/resume · g gate · d detach · ? help · q stop';
const zoomHints = 'esc/enter back · tab next pane · p pause/resume · g gate · d detach · ? help · q stop';

function stoppedNote(state: RunState): string | undefined {
	if (!state.stopped) return undefined;
	const exit = state.stopped.oracleExit === undefined ? '' : `: oracle exit ${state.stopped.oracleExit}`;
	return `the run stopped (${state.stopped.reason})${exit}`;
}

/**
 * The bottom lines: a status line (the answer to the last key, a control
 * error, or the engine's latest warning) over the prompt or the key hints.
 * With a single line, a prompt wins over a message, which wins over the hints.
 */
export function Footer({
	state,
	mode,
	message,
	zoomed,
	width,
	lines,
}: {
	state: RunState;
	mode: Mode;
	message?: Message;
	zoomed: boolean;
	width: number;
	lines: number;
}) {
	const theme = useTheme();
	let prompt: ReactElement | undefined;
	if (mode.kind === 'gate-reason') prompt = <GatePrompt ticket={mode.ticket} reason={mode.reason} width={width} />;
	if (mode.kind === 'gate-confirm') prompt = <ConfirmPrompt question={`mark ${cleanText(mode.ticket, 40)} human-gated ("${cleanText(mode.reason, 200)}")?`} />;
	if (mode.kind === 'stop-confirm') prompt = <ConfirmPrompt question="stop the run? running attempts are interrupted" />;

	const warning = state.warnings.at(-1);
	const kept = state.checkoutsKept.at(-1);
	let status: ReactElement | undefined;
	if (message) {
		status = (
			<Text wrap="truncate-end" color={theme.color(message.tone === 'error' ? 'bad' : 'info')}>
				{cleanText(message.text, 400)}
			</Text>
		);
	} else if (state.alert) {
		// What needs a person outranks the rest: the problem and its fix on one line.
		status = (
			<Text wrap="truncate-end" color={theme.color('bad')} bold>
				{cleanText(
					state.alert
						.split('\n')
						.map(line => line.trim())
						.filter(Boolean)
						.join(' | '),
					600,
				)}
			</Text>
		);
	} else if (stoppedNote(state)) {
		status = (
			<Text wrap="truncate-end" bold>
				{stoppedNote(state)}
			</Text>
		);
	} else if (kept) {
		// Above any other warning: the person's own checkout needs them.
		status = (
			<Text wrap="truncate-end" color={theme.color('bad')} bold>
				{cleanText(kept.footer, 400)}
			</Text>
		);
	} else if (state.lastTamper) {
		// A refused tamper attempt outranks a warning: the human should know an agent tried.
		status = (
			<Text wrap="truncate-end" color={theme.color('bad')} bold>
				{`${state.tampers > 1 ? `${state.tampers} tamper attempts refused; latest: ` : ''}${cleanText(state.lastTamper, 400)}`}
			</Text>
		);
	} else if (warning) {
		status = (
			<Text wrap="truncate-end" color={theme.color('warn')}>
				{`warning: ${cleanText(warning, 400)}`}
			</Text>
		);
	}
	const hintLine = (
		<Text wrap="truncate-end" color={theme.color('muted')}>
			{zoomed ? zoomHints : hints}
		</Text>
	);
	if (lines < 2) {
		return (
			<Box width={width} height={1}>
				{prompt ?? status ?? hintLine}
			</Box>
		);
	}
	return (
		<Box width={width} height={2} flexDirection="column">
			<Box height={1}>{status ?? <Text> </Text>}</Box>
			<Box height={1}>{prompt ?? hintLine}</Box>
		</Box>
	);
}
