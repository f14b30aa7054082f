// Where everything goes, as a pure function of the terminal size: the whole
// frame is always at most rows - 1 lines tall. Ink clears the entire terminal
// and repaints every frame once its output reaches the terminal's height
// (ink.js: `lastOutputHeight >= stdout.rows` -> clearTerminal), which is the
// flicker tmux makes worst; a bounded layout never gets there.

/** Below this width the panes stack under the ticket list instead of sitting beside it. */
export const NARROW_COLUMNS = 100;
/** Border (2) + title line + stage line + at least one log line. */
export const MIN_PANE_HEIGHT = 5;
/** Three log lines: fewer, taller panes beat many one-line slivers (the rest are a tab away). */
export const COMFORTABLE_PANE_HEIGHT = 7;
/** Panes go side by side only when each can be at least this wide. */
export const MIN_PANE_WIDTH = 44;
/** Under this the screen only says to enlarge the terminal. */
export const MIN_ROWS = 8;
export const MIN_COLUMNS = 30;

export type PaneGrid = {
	/** The area the panes share. */
	width: number;
	height: number;
	/** Panes per row. */
	columns: number;
	paneWidth: number;
	paneHeight: number;
	/** How many panes fit; the rest are reached with tab (or zoom). */
	visible: number;
	/** 1 when a "+k more" line is reserved under the panes. */
	moreLine: number;
};

export type Layout = {
	width: number;
	/** Lines the frame uses: rows - 1, never the full height. */
	height: number;
	tooSmall: boolean;
	narrow: boolean;
	header: number;
	oracle: number;
	footer: number;
	body: number;
	list: {width: number; height: number};
	panes: PaneGrid;
};

export type LayoutInput = {
	columns: number;
	rows: number;
	/** Running workers (panes wanted). */
	workers: number;
	/** Lines the ticket list would like (group headings + tickets). */
	listRows: number;
	/** Lines the oracle bar would like (1, or 2 with tickets holding it back). */
	oracleLines: number;
	zoomed: boolean;
};

const clamp = (n: number, low: number, high: number): number => Math.max(low, Math.min(high, n));

function grid(width: number, height: number, count: number, maxColumns: number): PaneGrid {
	if (count === 0 || height < MIN_PANE_HEIGHT) {
		return {width, height, columns: 1, paneWidth: width, paneHeight: 0, visible: 0, moreLine: count > 0 ? Math.min(1, height) : 0};
	}
	const columns = clamp(Math.floor((width + 1) / (MIN_PANE_WIDTH + 1)), 1, Math.min(count, maxColumns));
	const rowsWanted = Math.ceil(count / columns);
	let rows = rowsWanted;
	let moreLine = 0;
	if (rowsWanted * COMFORTABLE_PANE_HEIGHT > height) {
		moreLine = 1;
		const fit = (paneHeight: number): number => Math.floor((height - moreLine) / paneHeight);
		rows = fit(COMFORTABLE_PANE_HEIGHT) >= 1 ? fit(COMFORTABLE_PANE_HEIGHT) : fit(MIN_PANE_HEIGHT);
		if (rows >= rowsWanted) {
			// They all fit after all, just not comfortably: no "+k more" line needed.
			moreLine = 0;
			rows = rowsWanted;
		}
	}
	if (rows < 1) return {width, height, columns, paneWidth: width, paneHeight: 0, visible: 0, moreLine: 1};
	return {
		width,
		height,
		columns,
		paneWidth: Math.floor((width - (columns - 1)) / columns),
		paneHeight: Math.floor((height - moreLine) / rows),
		visible: Math.min(count, rows * columns),
		moreLine,
	};
}

export function computeLayout(input: LayoutInput): Layout {
	const width = Math.max(1, Math.floor(input.columns));
	const height = Math.max(1, Math.floor(input.rows) - 1);
	const narrow = width < NARROW_COLUMNS;
	const tooSmall = height < MIN_ROWS || width < MIN_COLUMNS;
	const header = 1;
	const oracle = clamp(input.oracleLines, 1, height >= 16 ? 2 : 1);
	const footer = height >= 14 ? 2 : 1;
	const body = Math.max(0, height - header - oracle - footer);
	const base = {width, height, tooSmall, narrow, header, oracle, footer, body};

	if (tooSmall) {
		return {...base, list: {width, height: 0}, panes: grid(width, 0, 0, 1)};
	}
	if (input.zoomed) {
		const panes: PaneGrid = {width, height: body, columns: 1, paneWidth: width, paneHeight: body, visible: 1, moreLine: 0};
		return {...base, list: {width: 0, height: 0}, panes};
	}
	if (!narrow) {
		const listWidth = clamp(Math.round(width * 0.36), 34, 60);
		const panesWidth = width - listWidth - 1;
		return {...base, list: {width: listWidth, height: body}, panes: grid(panesWidth, body, input.workers, Number.POSITIVE_INFINITY)};
	}
	// Narrow: the list on top, sized to what it needs (up to 40%), the panes stacked under it.
	if (input.workers === 0) return {...base, list: {width, height: body}, panes: grid(width, 0, 0, 1)};
	let listHeight = Math.min(Math.max(1, input.listRows), Math.max(3, Math.floor(body * 0.4)));
	if (body - listHeight < MIN_PANE_HEIGHT && body >= MIN_PANE_HEIGHT + 2) listHeight = body - MIN_PANE_HEIGHT;
	listHeight = Math.min(listHeight, body);
	return {...base, list: {width, height: listHeight}, panes: grid(width, body - listHeight, input.workers, 1)};
}
