import {createContext, useContext} from 'react';

// Colours by role, degrading to nothing. Ink colours through chalk, and the
// chalk Ink 6 ships (5.x) does NOT read NO_COLOR (only FORCE_COLOR, --no-color
// and TTY detection), so the UI honours NO_COLOR itself: every colour goes
// through this theme, which hands out `undefined` when colour is off. Only the
// 16 basic colour names are used, so `TERM=screen` under tmux looks right too.

export type Tone = 'accent' | 'ok' | 'warn' | 'bad' | 'muted' | 'info';

const palette: Record<Tone, string> = {
	accent: 'cyan',
	ok: 'green',
	warn: 'yellow',
	bad: 'red',
	muted: 'gray',
	info: 'blue',
};

export type Theme = {
	readonly noColor: boolean;
	/** The colour for a role, or undefined when colour is off. */
	color(tone: Tone): string | undefined;
};

export function makeTheme(noColor: boolean): Theme {
	return {noColor, color: tone => (noColor ? undefined : palette[tone])};
}

/** https://no-color.org: NO_COLOR present and not empty turns colour off. */
export function noColorRequested(env: NodeJS.ProcessEnv = process.env): boolean {
	return typeof env.NO_COLOR === 'string' && env.NO_COLOR !== '';
}

export const ThemeContext = createContext<Theme>(makeTheme(false));
export const useTheme = (): Theme => useContext(ThemeContext);
