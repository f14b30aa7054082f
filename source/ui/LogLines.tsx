import {Box, Transform} from 'ink';
import {useMemo} from 'react';
import {fitWidth} from './text.js';

/**
 * The tail of a log, `height` rows of at most `width` cells.
 *
 * Why a Transform over a blank placeholder rather than a <Text> per line: Ink
 * 6.8 keeps two module-level caches keyed by every text it lays out
 * (measure-text.js, wrap-text.js) and never empties them. A worker printing
 * thousands of distinct lines would grow them without end over a long run.
 * Here Ink only ever measures the placeholder (one string per pane size); the
 * real lines are swapped in, already cut to the width, when the frame is
 * written, where Ink's caches live only as long as that one frame.
 */
export function LogLines({lines, width, height}: {lines: readonly string[]; width: number; height: number}) {
	// One cell a row: Ink measures the placeholder every frame, and the row's real text is written whole by the transform.
	const placeholder = useMemo(() => Array.from({length: height}, () => ' ').join('\n'), [height]);
	if (height <= 0 || width <= 0) return null;
	const shown = lines.slice(-height).map(line => fitWidth(line, width));
	return (
		<Box width={width} height={height} overflow="hidden">
			<Transform transform={(_placeholder, index) => shown[index] ?? ''}>{placeholder}</Transform>
		</Box>
	);
}
