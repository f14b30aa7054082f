import {Text} from 'ink';
import {cleanup, render} from 'ink-testing-library';
import {afterEach, describe, expect, it, vi} from 'vitest';
import type {EngineEvent} from '../../../source/core/events.js';
import {createRunStateStore, useRunState, type RunSource} from '../../../source/ui/use-run-state.js';
import {fixtureEvents, fold, stamp} from './helpers.js';

/** A stand-in for ControlClient's subscribe/onClose. */
class FakeSource implements RunSource {
	private listener: ((event: EngineEvent) => void) | undefined;
	private closeListener: (() => void) | undefined;
	subscribed = 0;
	subscribe(listener: (event: EngineEvent) => void): void {
		this.subscribed++;
		this.listener = listener;
	}
	onClose(listener: () => void): void {
		this.closeListener = listener;
	}
	emit(...events: EngineEvent[]): void {
		for (const event of events) this.listener?.(event);
	}
	close(): void {
		this.closeListener?.();
	}
}

/** n warnings for T-1, numbered after the fixture. */
const burst = (n: number, startSeq: number): EngineEvent[] =>
	stamp(
		Array.from({length: n}, (_, i) => ({type: 'warning' as const, message: `w${i}`, ticket: 'T-1'})),
		startSeq,
	);

afterEach(() => {
	vi.useRealTimers();
	cleanup();
});

describe('run state store', () => {
	it('folds a replay burst into one publish with the same state reduce() gives', () => {
		vi.useFakeTimers();
		const source = new FakeSource();
		const store = createRunStateStore(source);
		const events = [...fixtureEvents(), ...burst(10_000, fixtureEvents().length + 1)];
		source.emit(...events);
		expect(store.publishes).toBe(0);
		vi.advanceTimersByTime(0);
		expect(store.publishes).toBe(1);
		expect(store.getSnapshot().state).toEqual(fold(events));
		expect(store.getSnapshot().events).toBe(events.length);
	});

	it('publishes at most about ten times a second however fast events arrive', () => {
		vi.useFakeTimers();
		const source = new FakeSource();
		const store = createRunStateStore(source);
		let seq = 1;
		// 5,000 events a second for two seconds, one every 0.2 ms.
		for (let ms = 0; ms < 2000; ms++) {
			source.emit(...burst(5, seq));
			seq += 5;
			vi.advanceTimersByTime(1);
		}
		vi.advanceTimersByTime(200);
		expect(store.publishes).toBeGreaterThanOrEqual(15);
		expect(store.publishes).toBeLessThanOrEqual(22);
		expect(store.getSnapshot().state.lastSeq).toBe(seq - 1);
	});

	it('tells at once when the connection closes, with everything before it', () => {
		vi.useFakeTimers();
		const source = new FakeSource();
		const store = createRunStateStore(source);
		const onChange = vi.fn();
		store.subscribe(onChange);
		source.emit(...fixtureEvents());
		source.emit(...stamp([{type: 'run.stopped', reason: 'finished', oracleExit: 0}], 100));
		source.close();
		expect(onChange).toHaveBeenCalledTimes(1);
		expect(store.getSnapshot().closed).toBe(true);
		expect(store.getSnapshot().state.stopped).toEqual({reason: 'finished', oracleExit: 0});
	});

	it('ignores events after dispose', () => {
		vi.useFakeTimers();
		const source = new FakeSource();
		const store = createRunStateStore(source);
		store.dispose();
		source.emit(...fixtureEvents());
		vi.advanceTimersByTime(1000);
		expect(store.publishes).toBe(0);
	});
});

describe('useRunState', () => {
	it('subscribes once and re-renders a handful of times for thousands of events', async () => {
		const source = new FakeSource();
		let renders = 0;
		function Probe() {
			const {state} = useRunState(source);
			renders++;
			return <Text>{`seq ${state.lastSeq} tickets ${state.tickets.size}`}</Text>;
		}
		const {lastFrame} = render(<Probe />);
		const events = fixtureEvents();
		source.emit(...events);
		let seq = events.length + 1;
		for (let i = 0; i < 10; i++) {
			source.emit(...burst(500, seq));
			seq += 500;
			await new Promise(resolve => setTimeout(resolve, 10));
		}
		await vi.waitFor(() => expect(lastFrame()).toBe(`seq ${seq - 1} tickets 9`));
		expect(source.subscribed).toBe(1);
		// 5,000+ events over ~100 ms: a few publishes, not thousands of renders.
		expect(renders).toBeLessThanOrEqual(5);
	});
});
