import {Box, Text, useInput, useStdin, type Key} from 'ink';
import {useCallback, useEffect, useMemo, useRef, useState} from 'react';
import type {Control} from '../core/control.js';
import {groupTickets, type RunState} from '../core/run-state.js';
import {Footer} from './Footer.js';
import {Header} from './Header.js';
import {HelpOverlay} from './HelpOverlay.js';
import {keyPresses} from './keys.js';
import {computeLayout} from './layout.js';
import {OracleBar} from './OracleBar.js';
import {PaneGrid, visiblePanes} from './PaneGrid.js';
import {listRows, TicketList} from './TicketList.js';
import {makeTheme, noColorRequested, ThemeContext} from './theme.js';
import {initialUi, selectedOf, step, type Effect, type RunView, type UiState} from './ui-model.js';
import {SPINNER, useFrames} from './use-frames.js';
import {useTerminalSize} from './use-terminal-size.js';
import {WorkerPane} from './WorkerPane.js';

export type AppProps = {
	/** The run, folded from the engine's events (see use-run-state). */
	state: RunState;
	/** The only things a key may ask of the engine. */
	control: Control;
	/** Where an attempt's raw log is (runDir(...).logFile). */
	logFileOf: (ticket: string, attempt: number) => string;
	maxAttempts: number;
	/** `d` or Ctrl+C: leave the screen, the run goes on. */
	onDetach: () => void;
	/** Called once the engine has accepted a confirmed stop. */
	onQuit?: () => void;
	/** The clock (tests pin it). */
	now?: () => number;
	/** Turn colour off (default: NO_COLOR from the environment). */
	noColor?: boolean;
	/** How often shown logs are read and spinners step: the frame clock (default DEFAULT_FRAME_MS). */
	logPollMs?: number;
};

const errorText = (error: unknown): string => (error instanceof Error ? error.message : String(error)).split('\n')[0] ?? 'unknown error';

/**
 * The whole screen, pure over its props: the state comes from outside, keys
 * go out only through `control` (pause/resume/gate/stop) and `onDetach`.
 */
export function App(props: AppProps) {
	const {state, logFileOf, maxAttempts, logPollMs} = props;
	const theme = useMemo(() => makeTheme(props.noColor ?? noColorRequested()), [props.noColor]);
	const {columns, rows} = useTerminalSize();
	const {isRawModeSupported} = useStdin();

	const grouped = useMemo(() => groupTickets(state, maxAttempts), [state, maxAttempts]);
	const order = useMemo(() => grouped.map(t => t.id), [grouped]);
	const running = useMemo(() => grouped.filter(t => t.group === 'running').map(t => t.id), [grouped]);
	const rowsWanted = useMemo(() => listRows(grouped).length, [grouped]);

	const [ui, setUi] = useState<UiState>(initialUi);
	// The key handler reads the newest of everything through refs: keys can
	// arrive between a render and its effects, and must never see stale state.
	const uiRef = useRef(ui);
	const propsRef = useRef(props);
	propsRef.current = props;
	const pauseInFlight = useRef(false);
	const mounted = useRef(true);
	useEffect(
		() => () => {
			mounted.current = false;
		},
		[],
	);

	const view: RunView = {
		order,
		running,
		groupOf: id => grouped.find(t => t.id === id)?.group,
		attemptsOf: id => state.tickets.get(id)?.attempts ?? 0,
		paused: state.paused,
		stopping: state.stopping,
		stopped: state.stopped !== undefined,
		pauseInFlight: pauseInFlight.current,
	};
	const viewRef = useRef(view);
	viewRef.current = view;

	const update = useCallback((next: UiState) => {
		uiRef.current = next;
		if (mounted.current) setUi(next);
	}, []);

	const perform = useCallback(
		(effect: Effect) => {
			const {control, onDetach, onQuit} = propsRef.current;
			const say = (text: string, tone: 'info' | 'error'): void => update({...uiRef.current, message: {text, tone}});
			const ask = (what: string, request: () => Promise<void>, ok: string, settled?: () => void, accepted?: () => void): void => {
				let promise: Promise<void>;
				try {
					promise = request();
				} catch (error) {
					promise = Promise.reject(error instanceof Error ? error : new Error(String(error)));
				}
				promise.then(
					() => {
						settled?.();
						say(ok, 'info');
						accepted?.();
					},
					(error: unknown) => {
						settled?.();
						say(`${what} failed: ${errorText(error)}`, 'error');
					},
				);
			};
			const pauseSettled = (): void => {
				pauseInFlight.current = false;
			};
			switch (effect.kind) {
				case 'detach':
					onDetach();
					return;
				case 'pause':
					pauseInFlight.current = true;
					ask('pause', () => control.pause(), 'paused: no new attempts start; running ones finish', pauseSettled);
					return;
				case 'resume':
					pauseInFlight.current = true;
					ask('resume', () => control.resume(), 'resumed: dispatch continues', pauseSettled);
					return;
				case 'gate':
					ask('gate', () => control.gate(effect.ticket, effect.reason), `${effect.ticket} is human-gated`);
					return;
				case 'stop':
					ask('stop', () => control.stop(), 'stop accepted: the run is ending', undefined, onQuit);
					return;
			}
		},
		[update],
	);

	const onKey = useCallback(
		(input: string, key: Key) => {
			for (const press of keyPresses(input, key)) {
				const result = step(uiRef.current, press, {...viewRef.current, pauseInFlight: pauseInFlight.current});
				// update() moves uiRef at once, so later presses of the same chunk build on this one.
				if (result.ui !== uiRef.current) update(result.ui);
				if (result.effect) perform(result.effect);
			}
		},
		[update, perform],
	);
	useInput(onKey, {isActive: isRawModeSupported});

	const selected = selectedOf(ui, view);
	const zoomed = ui.zoomed !== undefined && state.tickets.has(ui.zoomed) ? ui.zoomed : undefined;
	const zoomedWorker = zoomed === undefined ? undefined : state.workers.get(zoomed);
	const zoomedAttempt = zoomed === undefined ? 0 : (zoomedWorker?.attempt ?? state.tickets.get(zoomed)?.attempts ?? 0);
	const zoomedLog = zoomed !== undefined && zoomedAttempt > 0 ? logFileOf(zoomed, zoomedAttempt) : undefined;
	const oracleLines = state.oracle && state.oracle.holding.length > 0 ? 2 : 1;
	const layout = computeLayout({
		columns,
		rows,
		workers: running.length,
		listRows: rowsWanted,
		oracleLines,
		zoomed: zoomed !== undefined && ui.mode.kind !== 'help',
	});
	const {width} = layout;

	// The logs on screen this frame: read on the frame clock, nothing else is.
	const help = ui.mode.kind === 'help';
	const shownPanes = help || layout.tooSmall || zoomed !== undefined ? [] : visiblePanes(running, layout.panes.visible, selected);
	const files: string[] = [];
	if (!help && !layout.tooSmall && zoomedLog) files.push(zoomedLog);
	for (const id of shownPanes) {
		const worker = state.workers.get(id);
		if (worker) files.push(logFileOf(id, worker.attempt));
	}
	const frame = useFrames(files, {animate: shownPanes.length > 0 || zoomedWorker !== undefined, intervalMs: logPollMs, maxLines: rows});
	// The clocks read the frame's time: a key's render moves no clock, and unchanged panes are not drawn again by React.
	const now = props.now ? props.now() : frame.at;
	const spinner = SPINNER[frame.n % SPINNER.length]!;

	if (layout.tooSmall) {
		return (
			<ThemeContext.Provider value={theme}>
				<Box width={width} height={Math.min(layout.height, 2)} flexDirection="column">
					<Header state={state} now={now} width={width} />
					{ui.mode.kind === 'normal' || ui.mode.kind === 'help' ? (
						<Text wrap="truncate-end" color={theme.color('warn')}>
							{`terminal too small (${columns}x${rows}): enlarge it · d detaches`}
						</Text>
					) : (
						// A prompt must stay visible whatever the size: keys are answering it.
						<Footer state={state} mode={ui.mode} message={ui.message} zoomed={false} width={width} lines={1} />
					)}
				</Box>
			</ThemeContext.Provider>
		);
	}

	let body;
	if (ui.mode.kind === 'help') {
		body = <HelpOverlay width={width} height={layout.body} />;
	} else if (zoomed !== undefined) {
		body = (
			<WorkerPane
				id={zoomed}
				ticket={state.tickets.get(zoomed)}
				worker={zoomedWorker}
				lines={frame.lines(zoomedLog)}
				hasLog={zoomedLog !== undefined}
				spinner={spinner}
				attempt={zoomedAttempt}
				maxAttempts={maxAttempts}
				width={layout.panes.paneWidth}
				height={layout.panes.paneHeight}
				selected
				now={now}
			/>
		);
	} else {
		body = (
			<>
				<TicketList grouped={grouped} state={state} selected={selected} maxAttempts={maxAttempts} width={layout.list.width} height={layout.list.height} />
				{layout.narrow ? null : <Box width={1} />}
				<PaneGrid
					grid={layout.panes}
					state={state}
					running={running}
					selected={selected}
					logFileOf={logFileOf}
					linesOf={frame.lines}
					spinner={spinner}
					maxAttempts={maxAttempts}
					now={now}
				/>
			</>
		);
	}

	return (
		<ThemeContext.Provider value={theme}>
			<Box width={width} height={layout.height} flexDirection="column" overflow="hidden">
				<Header state={state} now={now} width={width} />
				<OracleBar oracle={state.oracle} now={now} width={width} lines={layout.oracle} />
				<Box width={width} height={layout.body} flexDirection={layout.narrow ? 'column' : 'row'} overflow="hidden">
					{body}
				</Box>
				<Footer state={state} mode={ui.mode} message={ui.message} zoomed={zoomed !== undefined} width={width} lines={layout.footer} />
			</Box>
		</ThemeContext.Provider>
	);
}
