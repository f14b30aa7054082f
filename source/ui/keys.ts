import type {Key} from 'ink';

// The one place that knows how Ink reports keys. Ink 6 and 7 differ (Ink 6
// reports Backspace/0x7F as `delete` and sets `meta` on Escape; Ink 7 has
// `backspace`), so everything else works on this small, closed union.

export type KeyPress =
	| {kind: 'text'; text: string}
	| {kind: 'ctrl'; letter: string}
	| {
			kind: 'enter' | 'escape' | 'up' | 'down' | 'left' | 'right' | 'tab' | 'backtab' | 'backspace' | 'home' | 'end' | 'pageup' | 'pagedown' | 'other';
	  };

// eslint-disable-next-line no-control-regex -- control characters are what it drops from typed text
const nonPrintable = /[\u0000-\u001F\u007F-\u009F]/g;

export function normalizeKey(input: string, key: Key): KeyPress {
	if (key.return) return {kind: 'enter'};
	if (key.escape) return {kind: 'escape'};
	if (key.upArrow) return {kind: 'up'};
	if (key.downArrow) return {kind: 'down'};
	if (key.leftArrow) return {kind: 'left'};
	if (key.rightArrow) return {kind: 'right'};
	if (key.tab) return {kind: key.shift ? 'backtab' : 'tab'};
	if (key.backspace || key.delete) return {kind: 'backspace'};
	if (key.home) return {kind: 'home'};
	if (key.end) return {kind: 'end'};
	if (key.pageUp) return {kind: 'pageup'};
	if (key.pageDown) return {kind: 'pagedown'};
	if (key.ctrl) return input.length === 1 ? {kind: 'ctrl', letter: input.toLowerCase()} : {kind: 'other'};
	// Alt+key and anything else escape-prefixed: not text.
	if (key.meta) return {kind: 'other'};
	const text = input.replace(nonPrintable, '');
	return text ? {kind: 'text', text} : {kind: 'other'};
}

/**
 * Keys in the order they were typed. A terminal delivers fast typing or a
 * paste as one chunk ("a reason\r"): its Enter must still be an Enter, not a
 * control character dropped from the text.
 */
export function keyPresses(input: string, key: Key): KeyPress[] {
	if (input.length <= 1 || !/[\r\n]/.test(input) || key.ctrl || key.meta) return [normalizeKey(input, key)];
	const presses: KeyPress[] = [];
	for (const [index, part] of input.split(/\r\n|\r|\n/).entries()) {
		if (index > 0) presses.push({kind: 'enter'});
		const text = part.replace(nonPrintable, '');
		if (text) presses.push({kind: 'text', text});
	}
	return presses;
}
