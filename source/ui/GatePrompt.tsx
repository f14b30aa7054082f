import {Text} from 'ink';
import {cleanText} from './text.js';
import {useTheme} from './theme.js';

/** The inline reason prompt of `g`: one line, showing the end of a long reason. */
export function GatePrompt({ticket, reason, width}: {ticket: string; reason: string; width: number}) {
	const theme = useTheme();
	const prefix = `gate ${cleanText(ticket, 40)}: reason> `;
	const suffix = '  (enter: next · esc: cancel)';
	const room = Math.max(1, width - prefix.length - suffix.length - 1);
	const visible = reason.length > room ? `…${reason.slice(-(room - 1))}` : reason;
	return (
		<Text wrap="truncate-end">
			<Text bold color={theme.color('warn')}>
				{prefix}
			</Text>
			{visible}
			<Text inverse> </Text>
			<Text color={theme.color('muted')}>{suffix}</Text>
		</Text>
	);
}
