import {useStdout} from 'ink';
import {useEffect, useState} from 'react';

export type TerminalSize = {columns: number; rows: number};

/** Used when the stream does not know its size (not a TTY, a test stream). */
export const FALLBACK_SIZE: TerminalSize = {columns: 80, rows: 24};

const sizeOf = (stdout: NodeJS.WriteStream): TerminalSize => ({
	columns: stdout.columns > 0 ? stdout.columns : FALLBACK_SIZE.columns,
	rows: stdout.rows > 0 ? stdout.rows : FALLBACK_SIZE.rows,
});

/** The terminal's size, updated on every 'resize' of the stream Ink draws to (Ink 6 has no useWindowSize). */
export function useTerminalSize(): TerminalSize {
	const {stdout} = useStdout();
	const [size, setSize] = useState(() => sizeOf(stdout));
	useEffect(() => {
		const onResize = (): void => {
			const next = sizeOf(stdout);
			setSize(current => (current.columns === next.columns && current.rows === next.rows ? current : next));
		};
		onResize();
		stdout.on('resize', onResize);
		return () => {
			stdout.off('resize', onResize);
		};
	}, [stdout]);
	return size;
}
