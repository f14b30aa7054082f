import type {EngineEvent} from '../core/events.js';
import type {NotifyKind} from '../core/notify/config.js';
import {notificationOf} from '../core/notify/notification.js';
import type {RunSource} from './use-run-state.js';

const BELL = '\u0007';
/** Clocks of the engine and the client may differ a little: an event this much older than the attach is still live. */
const SKEW_MS = 2000;

/**
 * The same source, ringing the terminal bell for each live event a person is
 * notified of (notify.on); the replay of the log at attach rings nothing.
 */
export function withBell(source: RunSource, kinds: readonly NotifyKind[], ring: () => void, since: number = Date.now()): RunSource {
	if (kinds.length === 0) return source;
	const run = {runId: '', batch: '', repo: ''};
	const rings = (event: EngineEvent): boolean => {
		if (Date.parse(event.at) < since - SKEW_MS) return false;
		const notification = notificationOf(event, run, undefined);
		return notification !== undefined && kinds.includes(notification.kind);
	};
	return {
		subscribe: listener =>
			source.subscribe(event => {
				listener(event);
				if (rings(event)) ring();
			}),
		onClose: listener => source.onClose(listener),
	};
}

export const ringTerminal = (stdout: NodeJS.WriteStream) => (): void => void stdout.write(BELL);
