import type {Control} from '../core/control.js';
import type {EngineEvent} from '../core/events.js';
import {plainPrinter} from '../core/progress.js';
import {formatRunEnd, runEnd} from '../core/run-end.js';
import {emptyRunState, reduce} from '../core/run-state.js';
import {readRunEvents, summaryLines} from './run-summary.js';
import type {AttachClient} from './attach.js';

/** The newest run's log, when it ended cleanly (a run.stopped after its last start); undefined while it runs or after its engine died. */
export function endedRunEvents(runDir: string): EngineEvent[] | undefined {
	const events = readRunEvents(runDir);
	const lastStart = events.findLastIndex(e => e.type === 'run.started' || e.type === 'run.resumed');
	return events.slice(lastStart + 1).some(e => e.type === 'run.stopped') ? events : undefined;
}

/** A client for the TUI over a run that has ended: its log replayed, and no engine to ask anything. */
export function endedRunClient(events: EngineEvent[]): AttachClient {
	const refuse = (): Promise<void> => Promise.reject(new Error('the run has ended: no engine to ask'));
	const control: Control = {pause: refuse, resume: refuse, gate: refuse, stop: refuse};
	return {
		...control,
		subscribe: listener => {
			for (const event of events) listener(event);
		},
		onClose: () => {},
	};
}

/** Without a terminal: the log as a live plain attach prints it, then the summary. */
export function plainSummary(runDir: string, events: EngineEvent[]): string {
	const print = plainPrinter();
	const state = events.reduce(reduce, emptyRunState());
	return [...events.flatMap(e => print(e) ?? []), '', ...summaryLines(state, events, runDir).map(line => line.text)].join('\n');
}

/** For `attach` when the newest run's engine died (no stop recorded): when and what it did last, and the fix; undefined otherwise. */
export function diedMessage(runDir: string): string | undefined {
	const end = runEnd(readRunEvents(runDir), runDir);
	if (end?.how !== 'died') return undefined;
	return (
		[
			`no proofloop engine is running: ${formatRunEnd(end)[0]}`,
			...formatRunEnd(end)
				.slice(1)
				.filter(line => !line.startsWith('next: ')),
		].join('\n') + '\n  fix: `proofloop run` resumes this run'
	);
}
