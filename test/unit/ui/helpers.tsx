import type {EventEmitter} from 'node:events';
import type {Control} from '../../../source/core/control.js';
import type {EngineEvent, NewEvent, TicketSummary} from '../../../source/core/events.js';
import {emptyRunState, reduce, type RunState} from '../../../source/core/run-state.js';
import stripAnsi from 'strip-ansi';

export const T0 = Date.parse('2026-03-01T10:00:00.000Z');
export const RUN_ID = '20260301-100000-ab12';

/** Number and time-stamp events the way the engine's log does (seq from 1, one second apart). */
export function stamp(events: NewEvent[], startSeq = 1): EngineEvent[] {
	return events.map((event, i) => ({...event, seq: startSeq + i, at: new Date(T0 + (startSeq + i) * 1000).toISOString()}) as EngineEvent);
}

export const fold = (events: readonly EngineEvent[], from: RunState = emptyRunState()): RunState => events.reduce(reduce, from);

export const ticket = (id: string, title: string, extra: Partial<TicketSummary> = {}): TicketSummary => ({
	id,
	title,
	status: 'todo',
	deps: [],
	locks: [],
	priority: 0,
	...extra,
});

/**
 * A run with a ticket in every group: T-1 and T-2 running, T-3 ready, T-4
 * waiting on T-3, T-5 waiting on the lock T-2 holds, T-6 blocked, T-7 done,
 * T-8 human-gated, T-9 failed after three attempts.
 */
export function fixtureEvents(): EngineEvent[] {
	const ids = ['T-1', 'T-2', 'T-3', 'T-4', 'T-5', 'T-6', 'T-7', 'T-8', 'T-9'];
	const failedAttempt = (attempt: number): NewEvent[] => [
		{type: 'attempt.started', ticket: 'T-9', attempt, maxAttempts: 3, agent: 'demo', worktree: '/tmp/wt/T-9'},
		{type: 'stage', ticket: 'T-9', attempt, stage: 'checks'},
		{type: 'attempt.failed', ticket: 'T-9', attempt, stage: 'checks', reason: `npm test failed (${attempt})\nstack…`},
	];
	return stamp([
		{
			type: 'run.started',
			runId: RUN_ID,
			batch: 'observability',
			base: 'main',
			baseCommit: 'abc1234def',
			ticketIds: ids,
			oracleSha256: 'f'.repeat(64),
			pid: 4242,
		},
		{
			type: 'run.tickets',
			tickets: [
				ticket('T-1', 'Export job metrics', {status: 'in_progress'}),
				ticket('T-2', 'Grant the metrics writer role', {status: 'in_progress', locks: ['infra']}),
				ticket('T-3', 'Add the latency dashboard'),
				ticket('T-4', 'Alert on the error rate', {deps: ['T-3']}),
				ticket('T-5', 'Apply the alert policy', {locks: ['infra']}),
				ticket('T-6', 'Rotate the service keys', {status: 'blocked'}),
				ticket('T-7', 'Write the runbook', {status: 'done'}),
				ticket('T-8', 'Legal review of retention', {status: 'human_gated'}),
				ticket('T-9', 'Migrate the metrics database'),
			],
		},
		...failedAttempt(1),
		...failedAttempt(2),
		...failedAttempt(3),
		{type: 'ticket.status', ticket: 'T-9', status: 'failed', reason: 'out of attempts', fields: {status: 'failed'}},
		{type: 'attempt.started', ticket: 'T-1', attempt: 1, maxAttempts: 3, agent: 'demo', worktree: '/tmp/wt/T-1'},
		{type: 'stage', ticket: 'T-1', attempt: 1, stage: 'implement'},
		{type: 'attempt.started', ticket: 'T-2', attempt: 2, maxAttempts: 3, agent: 'demo', worktree: '/tmp/wt/T-2'},
		{type: 'stage', ticket: 'T-2', attempt: 2, stage: 'checks'},
		{
			type: 'oracle.verdict',
			exit: 1,
			verdict: 'not_done',
			summary: '2/9 tickets done or human-gated',
			final: false,
			holding: [
				{id: 'T-1', status: 'in_progress', reason: 'not done'},
				{id: 'T-3', status: 'todo', reason: 'not done'},
			],
		},
	]);
}

export const fixtureState = (): RunState => fold(fixtureEvents());

export const pauseEvent = (seq: number): EngineEvent => stamp([{type: 'intervention', kind: 'pause', by: 'me@host'}], seq)[0]!;

export type Call = {method: keyof Control; args: unknown[]};

/** The fake at the seam: implements Control, records every call, can be told to fail. */
export class RecordingControl implements Control {
	readonly calls: Call[] = [];
	failWith: Error | undefined;

	private record(method: keyof Control, ...args: unknown[]): Promise<void> {
		this.calls.push({method, args});
		return this.failWith ? Promise.reject(this.failWith) : Promise.resolve();
	}

	pause(): Promise<void> {
		return this.record('pause');
	}

	resume(): Promise<void> {
		return this.record('resume');
	}

	gate(ticket: string, reason: string): Promise<void> {
		return this.record('gate', ticket, reason);
	}

	stop(): Promise<void> {
		return this.record('stop');
	}
}

/** Wrap a control so any access to a member Control does not have (a would-be `markDone`, `request`, `sendRaw`) is recorded. */
export function watched(control: RecordingControl): {control: Control; foreign: string[]} {
	const foreign: string[] = [];
	const allowed = new Set(['pause', 'resume', 'gate', 'stop']);
	const proxy = new Proxy(control, {
		get(target, property, receiver) {
			if (typeof property === 'string' && !allowed.has(property)) foreign.push(property);
			const value = Reflect.get(target, property, receiver) as unknown;
			return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
		},
	});
	return {control: proxy, foreign};
}

export const keys = {
	enter: '\r',
	escape: '\u001B',
	up: '\u001B[A',
	down: '\u001B[B',
	right: '\u001B[C',
	left: '\u001B[D',
	tab: '\t',
	backtab: '\u001B[Z',
	backspace: '\u007F',
	home: '\u001B[H',
	end: '\u001B[F',
	pageUp: '\u001B[5~',
	pageDown: '\u001B[6~',
	ctrlC: '\u0003',
} as const;

/** Let Ink parse the key (a lone ESC waits a setImmediate) and React commit. */
export const settle = (): Promise<void> => new Promise(resolve => setImmediate(() => setTimeout(resolve, 0)));

export async function press(stdin: {write(data: string): void}, ...sequence: string[]): Promise<void> {
	for (const key of sequence) {
		stdin.write(key);
		await settle();
		// A lone ESC is held back a tick by Ink's parser (it may start a sequence): give it one more.
		if (key === '\u001B') await settle();
	}
}

/** Type text one key at a time, as a person would. */
export const type = (stdin: {write(data: string): void}, text: string): Promise<void> => press(stdin, ...[...text]);

export const strip = (text: string | undefined): string => stripAnsi(text ?? '');

/** Pretend the terminal was resized (ink-testing-library's stdout is 100 columns and has no rows). */
export function resize(stdout: EventEmitter, columns: number, rows: number): void {
	Object.defineProperty(stdout, 'columns', {value: columns, configurable: true});
	Object.defineProperty(stdout, 'rows', {value: rows, configurable: true});
	stdout.emit('resize');
}

/** Which group heading each ticket row sits under, read off the list column of a frame. */
export function groupsOnScreen(frame: string, listWidth: number): Record<string, string> {
	const found: Record<string, string> = {};
	let group = '';
	for (const line of strip(frame).split('\n')) {
		const left = line.slice(0, listWidth);
		const heading = /^(RUNNING|READY|WAITING|BLOCKED|DONE|HUMAN-GATED|FAILED) \d+/.exec(left);
		if (heading) {
			group = heading[1]!;
			continue;
		}
		const row = /^[› ] (T-\d+) /.exec(left);
		if (row) found[row[1]!] = group;
	}
	return found;
}
