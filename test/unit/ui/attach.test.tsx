import {afterEach, describe, expect, it, vi} from 'vitest';
import {attachTui} from '../../../source/ui/attach.js';
import {ALT_SCREEN_OFF, ALT_SCREEN_ON, CURSOR_SHOW} from '../../../source/ui/terminal.js';
import {FakeClient, FakeStdin, FakeStdout} from './fake-terminal.js';
import {fixtureEvents, keys, RUN_ID, settle, stamp} from './helpers.js';

/** `finalMs` null: the summary stays until a key (the default in use). */
function start(replay = fixtureEvents(), finalMs: number | null = 50) {
	const stdout = new FakeStdout();
	const stdin = new FakeStdin();
	const client = new FakeClient(replay);
	const signalListeners = new Set(process.listeners('SIGTERM'));
	const result = attachTui({
		client,
		repoRoot: '/nonexistent-repo',
		runId: RUN_ID,
		maxAttempts: 3,
		...(finalMs === null ? {} : {finalMs}),
		stdout: stdout as unknown as NodeJS.WriteStream,
		stdin: stdin as unknown as NodeJS.ReadStream,
		stderr: new FakeStdout() as unknown as NodeJS.WriteStream,
	});
	return {stdout, stdin, client, result, signalListeners};
}

/** The terminal was left as found: main screen after the last frame, cursor shown, raw mode off, no signal handlers left. */
function expectTerminalRestored(stdout: FakeStdout, stdin: FakeStdin, signalListeners: Set<unknown>): void {
	const out = stdout.output();
	expect(out.startsWith(ALT_SCREEN_ON)).toBe(true);
	const off = out.lastIndexOf(ALT_SCREEN_OFF);
	// After Ink's last frame (which has the header in it).
	expect(out.lastIndexOf('batch observability')).toBeGreaterThan(0);
	expect(off).toBeGreaterThan(out.lastIndexOf('batch observability'));
	expect(out.lastIndexOf(CURSOR_SHOW)).toBeGreaterThan(out.lastIndexOf('\u001B[?25l'));
	expect(stdin.rawMode.at(-1)).toBe(false);
	// No frame was drawn by erasing first (flicker without synchronized output), and the screen was cleared only on entering.
	expect(out).not.toContain('\u001B[2K');
	expect(out.split('\u001B[2J')).toHaveLength(2);
	// Ink's signal-exit may stay hooked; the UI's own handler (terminal.ts `onSignal`) must be gone.
	const added = process.listeners('SIGTERM').filter(listener => !signalListeners.has(listener));
	expect(added.map(listener => listener.name)).not.toContain('onSignal');
}

const waitForScreen = (stdout: FakeStdout, pattern: RegExp): Promise<void> => vi.waitFor(() => expect(stdout.output()).toMatch(pattern), {timeout: 20_000});

afterEach(() => {
	vi.restoreAllMocks();
});

describe('attachTui', () => {
	it('d detaches: resolves "detached", sends nothing to the engine and leaves the terminal as it found it', async () => {
		const {stdout, stdin, client, result, signalListeners} = start();
		await waitForScreen(stdout, /batch observability/);
		expect(process.listeners('SIGTERM').map(listener => listener.name)).toContain('onSignal');
		stdin.write('d');
		await expect(result).resolves.toMatchObject({reason: 'detached'});
		expect(client.calls).toEqual([]);
		expectTerminalRestored(stdout, stdin, signalListeners);
		expect(stdout.output()).toMatch(/detached: the run goes on/);
	});

	it('Ctrl+C detaches too (it never stops the run)', async () => {
		const {stdout, stdin, client, result} = start();
		await waitForScreen(stdout, /batch observability/);
		stdin.write(keys.ctrlC);
		await expect(result).resolves.toMatchObject({reason: 'detached'});
		expect(client.calls).toEqual([]);
	});

	it('keys reach the engine through the client: p pauses', async () => {
		const {stdout, stdin, client, result} = start();
		await waitForScreen(stdout, /batch observability/);
		stdin.write('p');
		await settle();
		expect(client.calls).toEqual(['pause']);
		stdin.write('d');
		await result;
	});

	it('when the run stops, shows the final verdict for a moment, then resolves "finished" with the oracle exit', async () => {
		const {stdout, stdin, client, result, signalListeners} = start(fixtureEvents(), 150);
		await waitForScreen(stdout, /batch observability/);
		const started = Date.now();
		client.emit(...stamp([{type: 'run.stopped', reason: 'finished', oracleExit: 0}], 100));
		await expect(result).resolves.toMatchObject({reason: 'finished', oracleExit: 0});
		expect(Date.now() - started).toBeGreaterThanOrEqual(140);
		expect(stdout.output()).toMatch(/FINISHED/);
		expectTerminalRestored(stdout, stdin, signalListeners);
	});

	it('when the run stops, its summary stays on screen until a key, then resolves "finished" with the oracle exit', async () => {
		const {stdout, stdin, client, result, signalListeners} = start(fixtureEvents(), null);
		await waitForScreen(stdout, /batch observability/);
		client.emit(...stamp([{type: 'run.stopped', reason: 'stuck', oracleExit: 1}], 100));
		await waitForScreen(stdout, /press any key to close/);
		expect(stdout.output()).toMatch(/RUN STUCK · oracle exit 1/);
		expect(stdout.output()).toMatch(/T-9 +failed +3 /);
		let settled = false;
		void result.then(() => (settled = true));
		await new Promise(resolve => setTimeout(resolve, 1500));
		expect(settled).toBe(false);
		stdin.write('x');
		await expect(result).resolves.toMatchObject({reason: 'finished', oracleExit: 1, message: 'the run stopped (stuck): oracle exit 1'});
		expect(client.calls).toEqual([]);
		expectTerminalRestored(stdout, stdin, signalListeners);
	});

	it('a stop replayed from the log and undone by a later resume does not end the session', async () => {
		const events = fixtureEvents();
		const replay = [
			...events,
			...stamp(
				[
					{type: 'run.stopped', reason: 'signal'},
					{type: 'run.resumed', pid: 5},
				],
				events.length + 1,
			),
		];
		const {stdout, stdin, result} = start(replay, 100);
		await waitForScreen(stdout, /batch observability/);
		await new Promise(resolve => setTimeout(resolve, 250));
		let settled = false;
		void result.then(() => (settled = true));
		await settle();
		expect(settled).toBe(false);
		stdin.write('d');
		await expect(result).resolves.toMatchObject({reason: 'detached'});
	});

	it('when the connection drops, resolves "detached" with a message saying how to come back', async () => {
		const {stdout, stdin, client, result, signalListeners} = start();
		await waitForScreen(stdout, /batch observability/);
		client.close();
		const outcome = await result;
		expect(outcome.reason).toBe('detached');
		expect(outcome.message).toMatch(/lost the connection.*proofloop attach/);
		expectTerminalRestored(stdout, stdin, signalListeners);
	});

	it('refuses without a terminal, writing nothing', async () => {
		const stdout = new FakeStdout();
		stdout.isTTY = false;
		await expect(
			attachTui({
				client: new FakeClient([]),
				repoRoot: '/x',
				runId: RUN_ID,
				maxAttempts: 3,
				stdout: stdout as unknown as NodeJS.WriteStream,
				stdin: new FakeStdin() as unknown as NodeJS.ReadStream,
			}),
		).rejects.toThrow(/needs a terminal/);
		expect(stdout.chunks).toEqual([]);
	});
});
