import {render} from 'ink';
import type {PlanProgress} from '../../plan/progress.js';
import {makeTheme, noColorRequested, ThemeContext} from '../theme.js';
import {PlanScreen} from './PlanScreen.js';

/** Draws the plan pass in the terminal until the returned function is called (then the screen is left as it was last drawn). */
export function showPlan(progress: PlanProgress): () => void {
	const instance = render(
		<ThemeContext.Provider value={makeTheme(noColorRequested())}>
			<PlanScreen progress={progress} />
		</ThemeContext.Provider>,
		// Ctrl+C ends the plan: nothing is written until the plan passes, and each agent's process group ends with it.
		{exitOnCtrlC: true, patchConsole: false},
	);
	return () => instance.unmount();
}
