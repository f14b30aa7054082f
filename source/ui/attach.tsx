import {setFlagsFromString} from 'node:v8';
import {render} from 'ink';
import {useEffect, useMemo, useRef} from 'react';
import type {Control} from '../core/control.js';
import {runDir} from '../core/run-dir.js';
import {App} from './App.js';
import {ringTerminal, withBell} from './bell.js';
import type {NotifyKind} from '../core/notify/config.js';
import {readRunEvents, summaryLines} from './run-summary.js';
import {RunSummary} from './RunSummary.js';
import {fasterInkOutput} from './ink-output.js';
import {canShowTui, enterFullScreen, inPlaceFrames} from './terminal.js';
import {DEFAULT_FRAME_MS} from './use-frames.js';
import {createRunStateStore, useRunState, type RunSource, type RunStateStore} from './use-run-state.js';

/** What the TUI needs of a client: ControlClient has this shape (and more, which the screen never sees). */
export type AttachClient = RunSource & Control;

export type AttachResult = {
	reason: 'detached' | 'finished';
	/** The oracle's exit when the run stopped with a verdict. */
	oracleExit?: number;
	/** What was printed after leaving the screen (detach, lost connection, finish). */
	message?: string;
};

export type AttachOptions = {
	client: AttachClient;
	repoRoot: string;
	runId: string;
	maxAttempts: number;
	/** Once the run stops, its summary stays until a key; with this, it closes by itself after that many ms (tests). */
	finalMs?: number;
	/** Do not print the closing line (the caller prints its own). */
	quiet?: boolean;
	/** Ring the terminal bell on these live notifications (config notify.bell, notify.on). */
	bell?: readonly NotifyKind[];
	/** Streams (default: the process's; tests pass fakes). */
	stdin?: NodeJS.ReadStream;
	stdout?: NodeJS.WriteStream;
	stderr?: NodeJS.WriteStream;
};

export const detachedMessage = 'detached: the run goes on · `proofloop attach` comes back, `proofloop status` shows where it is';
export const lostMessage =
	'lost the connection to the engine (it exited or crashed) · `proofloop status` tells whether the run goes on, `proofloop attach` comes back';

type AttachedProps = {
	store: RunStateStore;
	control: Control;
	logFileOf: (ticket: string, attempt: number) => string;
	maxAttempts: number;
	finalMs: number | undefined;
	runDir: string;
	onDone: (result: AttachResult) => void;
};

/** App fed by the engine's events; when the run stops, its summary stays until a key. Ends the session then, or when the connection drops. */
function Attached({store, control, logFileOf, maxAttempts, finalMs, runDir, onDone}: AttachedProps) {
	const {state, closed} = useRunState(store);
	const done = useRef(onDone);
	done.current = onDone;
	const stopped = state.stopped;
	// Built once per stop, from the run's log on disk: the same ledger `proofloop report` prints.
	// A replay can pass a run.stopped that a later run.resumed undoes: the App comes back then.
	const summary = useMemo(() => (stopped ? summaryLines(state, readRunEvents(runDir), runDir) : undefined), [stopped, runDir]);
	const close = useMemo(
		() => () => {
			if (!stopped) return;
			const exit = stopped.oracleExit;
			const stopReport = summary?.find(line => line.text.startsWith('stop report: '))?.text;
			const message = `the run stopped (${stopped.reason})${exit === undefined ? '' : `: oracle exit ${exit}`}${stopReport ? ` · ${stopReport}` : ''}`;
			done.current({reason: 'finished', ...(exit === undefined ? {} : {oracleExit: exit}), message});
		},
		[stopped, summary],
	);
	useEffect(() => {
		if (!stopped || finalMs === undefined) return;
		const timer = setTimeout(close, finalMs);
		return () => clearTimeout(timer);
	}, [stopped, finalMs, close]);
	useEffect(() => {
		if (closed && !stopped) done.current({reason: 'detached', message: lostMessage});
	}, [closed, stopped]);
	const onDetach = useMemo(() => () => done.current({reason: 'detached', message: detachedMessage}), []);
	if (stopped && summary) return <RunSummary lines={summary} onClose={close} />;
	return <App state={state} control={control} logFileOf={logFileOf} maxAttempts={maxAttempts} onDetach={onDetach} />;
}

/**
 * Show the TUI over a running engine until the user detaches (`d`, Ctrl+C),
 * the run stops and its summary is closed with a key, or the connection closes.
 * The terminal is left as it was found: main screen, cursor visible, raw mode off.
 * The caller still owns the client (and closes it).
 */
export async function attachTui(opts: AttachOptions): Promise<AttachResult> {
	const stdin = opts.stdin ?? process.stdin;
	const stdout = opts.stdout ?? process.stdout;
	const stderr = opts.stderr ?? process.stderr;
	if (!canShowTui(stdin, stdout)) {
		throw new Error('the TUI needs a terminal (stdin and stdout a TTY)\n  fix: run with --headless, or `proofloop status` / `proofloop tail <id> -f`');
	}
	// Frames to text without Ink's per-cell garbage (a flood must not grow the heap).
	await fasterInkOutput();
	// Not --optimize-for-size: it shrank the young generation at every full collection and grew it back,
	// a 103 <-> 125 MB saw-tooth every few seconds under a flood (#14). The old generation is collected once
	// it holds 10% more than it kept last time, so what a frame promotes never piles up (RSS level, not creeping).
	setFlagsFromString('--heap-growing-percent=10');
	const {client} = opts;
	// The screen gets exactly the four control verbs, not the client (which can send raw lines).
	const control: Control = {
		pause: () => client.pause(),
		resume: () => client.resume(),
		gate: (ticket, reason) => client.gate(ticket, reason),
		stop: () => client.stop(),
	};
	const run = runDir(opts.repoRoot, opts.runId);
	const logFileOf = (ticket: string, attempt: number): string => run.logFile(ticket, attempt);
	// Subscribe before the first frame so the replay is already streaming in. Published on the frame clock's beat.
	const store = createRunStateStore(withBell(client, opts.bell ?? [], ringTerminal(stdout)), {intervalMs: DEFAULT_FRAME_MS});

	return new Promise<AttachResult>(resolve => {
		let finished = false;
		let trimTimer: ReturnType<typeof setInterval> | undefined;
		let instance: ReturnType<typeof render> | undefined;
		const finish = (result: AttachResult): void => {
			if (finished) return;
			finished = true;
			if (trimTimer) clearInterval(trimTimer);
			try {
				// Unmount first: Ink restores raw mode and the cursor, then the main screen comes back.
				instance?.unmount();
			} finally {
				store.dispose();
				terminal.restore();
			}
			if (result.message && !opts.quiet) stdout.write(`${result.message}\n`);
			resolve(result);
		};
		const terminal = enterFullScreen({stdout, onSignal: () => finish({reason: 'detached', message: detachedMessage})});
		// React's development build records a performance measure per component
		// render (its "performance tracks"), kept by Node until cleared: hours of
		// frames would pile up. The CLI should load React with
		// NODE_ENV=production; until it does, do not let them accumulate.
		if (process.env.NODE_ENV !== 'production') {
			trimTimer = setInterval(() => performance.clearMeasures(), 5000);
			trimTimer.unref();
		}
		try {
			instance = render(
				<Attached
					store={store}
					control={control}
					logFileOf={logFileOf}
					maxAttempts={opts.maxAttempts}
					finalMs={opts.finalMs}
					runDir={run.dir}
					onDone={finish}
				/>,
				{
					stdin,
					// Frames drawn over each other in place, never erased first (see terminal.ts).
					stdout: inPlaceFrames(stdout),
					stderr,
					// Ctrl+C reaches the app as a key and detaches; it never ends the run.
					exitOnCtrlC: false,
					// The engine is another process; nothing here should print around Ink.
					patchConsole: false,
					// Every render is drawn at once: what moves by itself is already paced by the
					// frame clock (use-frames) and the store, so a key never waits behind Ink's throttle.
					maxFps: 0,
					// Not Ink 6.8's incrementalRendering: it draws a frame shorter than the
					// terminal one row too low. inPlaceFrames gives the same no-flicker result.
					incrementalRendering: false,
				},
			);
		} catch (error) {
			store.dispose();
			terminal.restore();
			throw error;
		}
		if (finished) instance.unmount();
		// Ink unmounts itself when a component throws: the run is not ours to end, so that is a detach too.
		instance.waitUntilExit().then(
			() => finish({reason: 'detached', message: detachedMessage}),
			(error: unknown) =>
				finish({
					reason: 'detached',
					message: `the screen failed (${error instanceof Error ? error.message : String(error)}); the run goes on · \`proofloop attach\` comes back`,
				}),
		);
	});
}
