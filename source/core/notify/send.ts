import {spawn} from 'node:child_process';
import {killProcessGroup} from '../../process/process-group.js';
import type {Notification} from './notification.js';
import {findOnPath} from '../../lib/which.js';

/** One program, its own process group, killed whole at the timeout; the exit decides, not the pipes (a background child may hold them). */
function runProgram(file: string, args: string[], input: string, timeoutMs: number, env: NodeJS.ProcessEnv): Promise<void> {
	return new Promise((resolve, reject) => {
		const child = spawn(file, args, {detached: true, stdio: ['pipe', 'ignore', 'pipe'], env});
		let stderr = '';
		let settled = false;
		const finish = (error?: Error) => {
			if (settled) return;
			settled = true;
			clearTimeout(timer);
			if (child.pid) killProcessGroup(child.pid, 'SIGKILL');
			child.stderr?.destroy();
			if (error) reject(error);
			else resolve();
		};
		const timer = setTimeout(() => finish(new Error(`timed out after ${timeoutMs / 1000}s (killed)`)), timeoutMs);
		child.stderr?.on('data', (chunk: Buffer) => {
			stderr = (stderr + chunk.toString('utf8')).slice(-2000);
		});
		child.once('error', error => finish(new Error(`could not start: ${error.message}`)));
		child.once('exit', (code, signal) => {
			const tail = stderr.trim().split('\n').at(-1) ?? '';
			finish(code === 0 ? undefined : new Error(`exit ${code ?? signal}${tail ? `: ${tail.slice(0, 200)}` : ''}`));
		});
		// A command that does not read its stdin is not a failure.
		child.stdin?.on('error', () => undefined);
		child.stdin?.end(input);
	});
}

/** The user's command, through the shell, the notification as one JSON line on stdin. */
export function sendCommand(command: string, notification: Notification, timeoutMs: number, env: NodeJS.ProcessEnv): Promise<void> {
	return runProgram('/bin/sh', ['-c', command], JSON.stringify(notification) + '\n', timeoutMs, env);
}

/** Slack reads <...> as links and mentions (<!channel>) and & as an entity: text an agent wrote must not become either. */
export const slackEscape = (text: string): string => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** A webhook URL is often a secret (Slack's is): the log names its origin only. */
export const redactUrl = (url: string): string => {
	try {
		return `${new URL(url).origin}/…`;
	} catch {
		return '(a webhook)';
	}
};

/** POST {text, ...notification}: Slack-compatible, and every field for any other receiver. */
export async function sendWebhook(webhook: {url: string; headers: Record<string, string>}, notification: Notification, timeoutMs: number): Promise<void> {
	const body = JSON.stringify({text: slackEscape(`proofloop: ${notification.message}`), ...notification});
	let response: Response;
	try {
		response = await fetch(webhook.url, {
			method: 'POST',
			headers: {...webhook.headers, 'content-type': 'application/json'},
			body,
			signal: AbortSignal.timeout(timeoutMs),
			redirect: 'error',
		});
	} catch (error) {
		const name = (error as Error).name;
		throw new Error(
			name === 'TimeoutError' || name === 'AbortError'
				? `timed out after ${timeoutMs / 1000}s`
				: `${(error as Error).message}${(error as {cause?: Error}).cause ? ` (${(error as {cause: Error}).cause.message})` : ''}`,
			{
				cause: error,
			},
		);
	}
	// The answer's body is not ours to wait for.
	await response.body?.cancel().catch(() => undefined);
	if (!response.ok) throw new Error(`HTTP ${response.status}`);
}

/** The desktop's own notifier, where there is a desktop to notify; undefined (silently nothing) otherwise. */
export function desktopNotifier(
	env: NodeJS.ProcessEnv,
	platform: NodeJS.Platform = process.platform,
): ((title: string, body: string, timeoutMs: number) => Promise<void>) | undefined {
	if (platform === 'darwin') {
		const osascript = findOnPath('osascript', env['PATH']);
		// The text goes in as arguments, never into the script: an agent writes some of it.
		const script = ['-e', 'on run argv', '-e', 'display notification (item 2 of argv) with title (item 1 of argv)', '-e', 'end run'];
		return osascript ? (title, body, timeoutMs) => runProgram(osascript, [...script, title, body], '', timeoutMs, env) : undefined;
	}
	const notifySend = findOnPath('notify-send', env['PATH']);
	const session = env['DBUS_SESSION_BUS_ADDRESS'] || env['DISPLAY'] || env['WAYLAND_DISPLAY'];
	if (!notifySend || !session) return undefined;
	// Notification servers read a subset of HTML in the body (links among it): what an agent wrote stays text.
	return (title, body, timeoutMs) => runProgram(notifySend, ['--app-name=proofloop', '--', title, slackEscape(body)], '', timeoutMs, env);
}
