import {useEffect, useRef, useSyncExternalStore} from 'react';
import type {EngineEvent} from '../core/events.js';
import {emptyRunState, reduce, type RunState} from '../core/run-state.js';

// The run as the screen sees it: every event from the engine is folded into a
// RunState at once (cheap, pure), but React is told at most once per
// `intervalMs` (10 times a second by default). Attaching replays the whole log
// in a burst and a busy run emits many events a second; neither may turn into
// one render per event.

/** What use-run-state needs of a client: ControlClient has exactly this shape. */
export type RunSource = {
	subscribe(listener: (event: EngineEvent) => void): void;
	onClose(listener: () => void): void;
};

export type RunSnapshot = {
	state: RunState;
	/** The connection to the engine closed. */
	closed: boolean;
	/** How many events have been folded in. */
	events: number;
};

export const DEFAULT_PUBLISH_MS = 100;

export type RunStateStore = {
	// Properties, not methods: React calls them unbound.
	getSnapshot: () => RunSnapshot;
	/** React-style subscription: `onChange` runs after each publish. */
	subscribe: (onChange: () => void) => () => void;
	/** Publish now whatever is pending. */
	flush(): void;
	/** Stop listening (ControlClient has no unsubscribe: later events are ignored). */
	dispose(): void;
	/** How many times listeners were told (for tests and the benchmark). */
	readonly publishes: number;
};

export function createRunStateStore(source: RunSource, options: {intervalMs?: number; initial?: RunState; now?: () => number} = {}): RunStateStore {
	const intervalMs = options.intervalMs ?? DEFAULT_PUBLISH_MS;
	const now = options.now ?? Date.now;
	let latest = options.initial ?? emptyRunState();
	let events = 0;
	let closed = false;
	let snapshot: RunSnapshot = {state: latest, closed, events};
	let dirty = false;
	let timer: ReturnType<typeof setTimeout> | undefined;
	let lastPublish = Number.NEGATIVE_INFINITY;
	let disposed = false;
	let publishes = 0;
	const listeners = new Set<() => void>();

	const publish = (): void => {
		if (timer !== undefined) clearTimeout(timer);
		timer = undefined;
		if (!dirty || disposed) return;
		dirty = false;
		lastPublish = now();
		snapshot = {state: latest, closed, events};
		publishes++;
		for (const listener of [...listeners]) listener();
	};
	const schedule = (): void => {
		dirty = true;
		if (timer !== undefined) return;
		// Leading edge after a quiet spell (next tick, so a synchronous burst still coalesces), then at most once per interval.
		timer = setTimeout(publish, Math.max(0, lastPublish + intervalMs - now()));
	};

	source.subscribe(event => {
		if (disposed) return;
		latest = reduce(latest, event);
		events++;
		schedule();
	});
	source.onClose(() => {
		if (disposed) return;
		closed = true;
		dirty = true;
		// The last events before a close matter (a run.stopped): tell React now.
		publish();
	});

	return {
		getSnapshot: () => snapshot,
		subscribe(onChange) {
			listeners.add(onChange);
			return () => listeners.delete(onChange);
		},
		flush: publish,
		dispose() {
			disposed = true;
			if (timer !== undefined) clearTimeout(timer);
			timer = undefined;
			listeners.clear();
		},
		get publishes() {
			return publishes;
		},
	};
}

/**
 * Subscribe to `source` once (on first render) and return its throttled
 * snapshot. Pass a store instead to share one with code outside React.
 */
export function useRunState(source: RunSource | RunStateStore, options: {intervalMs?: number} = {}): RunSnapshot {
	const ref = useRef<{store: RunStateStore; owned: boolean} | undefined>(undefined);
	if (ref.current === undefined) {
		ref.current = isStore(source) ? {store: source, owned: false} : {store: createRunStateStore(source, options), owned: true};
	}
	const {store, owned} = ref.current;
	useEffect(() => (owned ? () => store.dispose() : undefined), [store, owned]);
	return useSyncExternalStore(store.subscribe, store.getSnapshot, store.getSnapshot);
}

function isStore(source: RunSource | RunStateStore): source is RunStateStore {
	return typeof (source as RunStateStore).getSnapshot === 'function';
}
