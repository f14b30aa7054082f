import type {TicketGroup} from '../core/run-state.js';
import type {KeyPress} from './keys.js';

// What the keys do, as a pure step function: (screen state, key, what the run
// looks like) -> (new screen state, at most one effect). The effect union is
// closed: pause, resume, gate, stop, detach. There is no effect that marks a
// ticket done, edits one or changes the batch, so no key can ask for that.

export type Mode =
	| {kind: 'normal'}
	| {kind: 'help'}
	| {kind: 'gate-reason'; ticket: string; reason: string}
	| {kind: 'gate-confirm'; ticket: string; reason: string}
	| {kind: 'stop-confirm'};

export type Message = {text: string; tone: 'info' | 'error'};

export type UiState = {
	/** The selected ticket (undefined = the first one in the list). */
	selected?: string;
	/** The ticket whose pane fills the screen. */
	zoomed?: string;
	mode: Mode;
	message?: Message;
};

export type Effect = {kind: 'pause'} | {kind: 'resume'} | {kind: 'gate'; ticket: string; reason: string} | {kind: 'stop'} | {kind: 'detach'};

/** What the step function may know of the run. */
export type RunView = {
	/** Ticket ids in list order (running first, as drawn). */
	order: readonly string[];
	/** Running ticket ids in pane order. */
	running: readonly string[];
	groupOf: (id: string) => TicketGroup | undefined;
	/** Attempts a ticket has had (a zoomed pane shows the latest one's log). */
	attemptsOf: (id: string) => number;
	paused: boolean;
	stopping: boolean;
	stopped: boolean;
	/** A pause or resume request is still waiting for its reply. */
	pauseInFlight: boolean;
};

export const initialUi: UiState = {mode: {kind: 'normal'}};

export const MAX_REASON_LENGTH = 500;

export function selectedOf(ui: UiState, view: RunView): string | undefined {
	return ui.selected !== undefined && view.order.includes(ui.selected) ? ui.selected : view.order[0];
}

type Step = {ui: UiState; effect?: Effect};

const zoomMoves: Record<string, number> = {up: -1, left: -1, backtab: -1, down: 1, right: 1, tab: 1};

const info = (text: string): Message => ({text, tone: 'info'});
const error = (text: string): Message => ({text, tone: 'error'});

function move<T>(list: readonly T[], current: T | undefined, delta: number, wrap: boolean): T | undefined {
	if (list.length === 0) return current;
	const index = current === undefined ? -1 : list.indexOf(current);
	if (index < 0) return list[delta >= 0 ? 0 : list.length - 1];
	const next = index + delta;
	if (wrap) return list[((next % list.length) + list.length) % list.length];
	return list[Math.max(0, Math.min(list.length - 1, next))];
}

/** Tab: the next running pane after the selection (or the next ticket when nothing runs). */
function cyclePanes(view: RunView, current: string | undefined, delta: number): string | undefined {
	if (view.running.length === 0) return move(view.order, current, delta, true);
	if (current !== undefined && view.running.includes(current)) return move(view.running, current, delta, true);
	return delta >= 0 ? view.running[0] : view.running[view.running.length - 1];
}

export function step(ui: UiState, key: KeyPress, view: RunView): Step {
	// Ctrl+C behaves like `d` everywhere: it detaches this client, it never stops the run.
	if (key.kind === 'ctrl' && key.letter === 'c') return {ui, effect: {kind: 'detach'}};
	const mode = ui.mode;
	switch (mode.kind) {
		case 'help':
			// Any key closes the help.
			return {ui: {...ui, mode: {kind: 'normal'}, message: undefined}};
		case 'gate-reason':
			return gateReason(ui, mode, key);
		case 'gate-confirm':
			if (key.kind === 'text' && key.text.toLowerCase() === 'y') {
				return {
					ui: {...ui, mode: {kind: 'normal'}, message: info(`asking the engine to gate ${mode.ticket}…`)},
					effect: {kind: 'gate', ticket: mode.ticket, reason: mode.reason},
				};
			}
			return {ui: {...ui, mode: {kind: 'normal'}, message: info('gate cancelled')}};
		case 'stop-confirm':
			if (key.kind === 'text' && key.text.toLowerCase() === 'y') {
				return {ui: {...ui, mode: {kind: 'normal'}, message: info('asking the engine to stop the run…')}, effect: {kind: 'stop'}};
			}
			return {ui: {...ui, mode: {kind: 'normal'}, message: info('stop cancelled: the run goes on')}};
		case 'normal':
			return normal({...ui, message: undefined}, key, view);
	}
}

function gateReason(ui: UiState, mode: Extract<Mode, {kind: 'gate-reason'}>, key: KeyPress): Step {
	const withReason = (reason: string): Step => ({ui: {...ui, message: undefined, mode: {...mode, reason: reason.slice(0, MAX_REASON_LENGTH)}}});
	switch (key.kind) {
		case 'escape':
			return {ui: {...ui, mode: {kind: 'normal'}, message: info('gate cancelled')}};
		case 'enter': {
			const reason = mode.reason.trim();
			if (!reason) return {ui: {...ui, message: error('a gate needs a reason (esc cancels)')}};
			return {ui: {...ui, message: undefined, mode: {kind: 'gate-confirm', ticket: mode.ticket, reason}}};
		}
		case 'backspace':
			return withReason([...mode.reason].slice(0, -1).join(''));
		case 'ctrl':
			if (key.letter === 'u') return withReason('');
			if (key.letter === 'w') return withReason(mode.reason.replace(/\S*\s*$/, ''));
			return {ui};
		case 'text':
			return withReason(mode.reason + key.text);
		default:
			return {ui};
	}
}

function normal(ui: UiState, key: KeyPress, view: RunView): Step {
	const selected = selectedOf(ui, view);
	if (ui.zoomed !== undefined) {
		// Zoomed: the arrows and tab switch the zoomed pane among the running tickets.
		const delta = zoomMoves[key.kind];
		if (delta !== undefined) {
			const next = move(view.running.length > 0 ? view.running : view.order, ui.zoomed, delta, true);
			return {ui: {...ui, zoomed: next, selected: next}};
		}
	}
	const select = (id: string | undefined): Step => ({ui: {...ui, selected: id}});
	switch (key.kind) {
		case 'up':
			return select(move(view.order, selected, -1, false));
		case 'down':
			return select(move(view.order, selected, 1, false));
		case 'home':
			return select(view.order[0]);
		case 'end':
			return select(view.order[view.order.length - 1]);
		case 'pageup':
			return select(move(view.order, selected, -10, false));
		case 'pagedown':
			return select(move(view.order, selected, 10, false));
		case 'tab':
		case 'right':
			return select(cyclePanes(view, selected, 1));
		case 'backtab':
		case 'left':
			return select(cyclePanes(view, selected, -1));
		case 'enter': {
			if (ui.zoomed !== undefined) return {ui: {...ui, zoomed: undefined}};
			if (selected === undefined) return {ui: {...ui, message: info('no ticket to zoom')}};
			if (!view.running.includes(selected) && view.attemptsOf(selected) === 0) {
				return {ui: {...ui, message: info(`${selected} has not run yet: nothing to show`)}};
			}
			return {ui: {...ui, zoomed: selected, selected}};
		}
		case 'escape':
			return {ui: {...ui, zoomed: undefined}};
		case 'text':
			return command(ui, key.text, selected, view);
		default:
			return {ui};
	}
}

function command(ui: UiState, text: string, selected: string | undefined, view: RunView): Step {
	switch (text) {
		case '?':
			return {ui: {...ui, mode: {kind: 'help'}}};
		case 'd':
			return {ui, effect: {kind: 'detach'}};
		case 'p':
			if (view.stopped) return {ui: {...ui, message: info('the run has stopped')}};
			if (view.stopping) return {ui: {...ui, message: info('the run is stopping')}};
			if (view.pauseInFlight) return {ui: {...ui, message: info('waiting for the engine to answer…')}};
			return view.paused
				? {ui: {...ui, message: info('asking the engine to resume…')}, effect: {kind: 'resume'}}
				: {ui: {...ui, message: info('asking the engine to pause dispatch…')}, effect: {kind: 'pause'}};
		case 'g': {
			if (view.stopped) return {ui: {...ui, message: info('the run has stopped')}};
			if (selected === undefined) return {ui: {...ui, message: info('no ticket selected')}};
			const group = view.groupOf(selected);
			if (group === 'done') return {ui: {...ui, message: info(`${selected} is done: nothing to gate`)}};
			if (group === 'gated') return {ui: {...ui, message: info(`${selected} is already human-gated`)}};
			return {ui: {...ui, mode: {kind: 'gate-reason', ticket: selected, reason: ''}}};
		}
		case 'q':
			if (view.stopped) return {ui: {...ui, message: info('the run has stopped')}};
			if (view.stopping) return {ui: {...ui, message: info('the run is already stopping')}};
			return {ui: {...ui, mode: {kind: 'stop-confirm'}}};
		default:
			return {ui};
	}
}
