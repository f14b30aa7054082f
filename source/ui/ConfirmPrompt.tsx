import {Text} from 'ink';
import {useTheme} from './theme.js';

/** A y/n question on one line: y confirms, any other key cancels. */
export function ConfirmPrompt({question}: {question: string}) {
	const theme = useTheme();
	return (
		<Text wrap="truncate-end">
			<Text bold color={theme.color('warn')}>
				{question}
			</Text>
			<Text bold> y/n</Text>
		</Text>
	);
}
