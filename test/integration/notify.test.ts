import {createServer, type IncomingMessage, type Server} from 'node:http';
import type {AddressInfo} from 'node:net';
import {existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import path from 'node:path';
import {afterEach, describe, expect, it} from 'vitest';
import {makeRepo, runCli, runEvents} from '../helpers/repo.js';

type Received = {path: string; headers: IncomingMessage['headers']; body: Record<string, unknown>};

/** A local webhook receiver: answers `status`, or never answers when `hang`. */
async function webhookServer(opts: {status?: number; hang?: boolean} = {}): Promise<{url: string; received: Received[]; server: Server}> {
	const received: Received[] = [];
	const server = createServer((request, response) => {
		let text = '';
		request.on('data', chunk => (text += chunk));
		request.on('end', () => {
			received.push({path: request.url ?? '', headers: request.headers, body: JSON.parse(text)});
			if (opts.hang) return;
			response.writeHead(opts.status ?? 200).end('ok');
		});
	});
	await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve));
	servers.push(server);
	return {url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`, received, server};
}

const servers: Server[] = [];
afterEach(() => {
	for (const server of servers.splice(0)) {
		server.closeAllConnections();
		server.close();
	}
});

const readLines = (file: string): Array<Record<string, unknown>> =>
	existsSync(file)
		? readFileSync(file, 'utf8')
				.trim()
				.split('\n')
				.filter(Boolean)
				.map(line => JSON.parse(line))
		: [];

describe('notifications', () => {
	it('a finished run posts run.finished with the verdict to the webhook, hands it to the command on stdin and to notify-send', async () => {
		const hook = await webhookServer();
		const scratch = mkdtempSync(path.join(tmpdir(), 'pl-notify-'));
		const stdinFile = path.join(scratch, 'notified.jsonl');
		// A desktop where notify-send records its arguments.
		const bin = path.join(scratch, 'bin');
		mkdirSync(bin);
		writeFileSync(path.join(bin, 'notify-send'), `#!/bin/sh\nprintf '%s\\n' "$@" >> '${scratch}/desktop.txt'\n`, {mode: 0o755});
		const {root, plan} = makeRepo({
			tickets: [{id: 'T-1'}],
			config: {notify: {command: `cat >> '${stdinFile}'`, webhook: {url: hook.url, headers: {authorization: 'Bearer t0ken'}}, desktop: true}},
		});
		const result = await runCli(root, ['run', '--headless'], {FAKE_AGENT_PLAN: plan, PATH: `${bin}:${process.env['PATH']}`, DISPLAY: ':99'});
		expect(result.exitCode, result.stdout + result.stderr).toBe(0);

		const finished = hook.received.find(r => r.body['kind'] === 'run.finished');
		expect(finished, JSON.stringify(hook.received)).toBeDefined();
		expect(finished!.path).toBe('/hook');
		expect(finished!.headers['authorization']).toBe('Bearer t0ken');
		expect(finished!.body['verdict']).toMatchObject({exit: 0, verdict: 'done'});
		expect(finished!.body['text']).toMatch(/^proofloop: run .* finished: oracle exit 0 \(done\)/);
		expect(finished!.body['batch']).toBe('b');
		expect((finished!.body['event'] as {type: string}).type).toBe('run.stopped');

		const seen = readLines(stdinFile);
		expect(seen.map(n => n['kind'])).toEqual(['run.finished']);
		expect(seen[0]!['verdict']).toMatchObject({exit: 0});
		expect(seen[0]!['runId']).toBe(finished!.body['runId']);
		expect(readFileSync(path.join(scratch, 'desktop.txt'), 'utf8')).toMatch(
			/^--app-name=proofloop\n--\nproofloop: run.finished\nrun .* finished: oracle exit 0 \(done\)/,
		);
		expect(runEvents(root).filter(e => e.type === 'warning' && e.message.startsWith('notify:'))).toEqual([]);
	}, 120_000);

	it('a blocker that stood asks for a person, and the run that stops short says stuck', async () => {
		const hook = await webhookServer();
		const {root, plan} = makeRepo({
			tickets: [{id: 'T-1'}],
			config: {attempts: 1, challengeFirstBlock: false, notify: {webhook: hook.url}},
			plan: {'T-1': 'claim-blocked'},
		});
		const result = await runCli(root, ['run', '--headless'], {FAKE_AGENT_PLAN: plan});
		expect(result.exitCode, result.stdout + result.stderr).toBe(1);
		const kinds = hook.received.map(r => `${r.body['kind']}:${r.body['reason']}`);
		expect(kinds).toEqual(['person.needed:blocked', 'run.stuck:stuck']);
		expect(hook.received[0]!.body).toMatchObject({ticket: 'T-1', attempt: 1});
		expect(hook.received[0]!.body['text']).toMatch(/T-1 is blocked by an external wall: cloud quota is zero/);
		expect(hook.received[1]!.body['verdict']).toMatchObject({exit: 1});
	}, 120_000);

	it('a notifier that hangs or fails is logged and does not hold the run past its timeout', async () => {
		const timeoutSeconds = 2;
		const timed = async (notify: Record<string, unknown> | undefined) => {
			const {root, plan} = makeRepo({tickets: [{id: 'T-1'}], ...(notify ? {config: {notify}} : {})});
			const started = Date.now();
			const result = await runCli(root, ['run', '--headless'], {FAKE_AGENT_PLAN: plan});
			return {root, result, ms: Date.now() - started};
		};
		const baseline = await timed(undefined);
		expect(baseline.result.exitCode).toBe(0);

		const hanging = await webhookServer({hang: true});
		const failing = await webhookServer({status: 500});
		const slow = await timed({command: 'sleep 120', webhook: hanging.url, timeoutSeconds});
		expect(slow.result.exitCode, slow.result.stdout + slow.result.stderr).toBe(0);
		expect(hanging.received.map(r => r.body['kind'])).toEqual(['run.finished']);
		// Without the timeout the run would wait 120 s on the command; generous for a busy machine.
		expect(slow.ms - baseline.ms).toBeLessThan(timeoutSeconds * 1000 + 15_000);
		const warnings = runEvents(slow.root).flatMap(e => (e.type === 'warning' && e.message.startsWith('notify:') ? [e.message] : []));
		expect(warnings).toHaveLength(2);
		expect(warnings.join('\n')).toMatch(/the command `sleep 120` failed for run.finished \(finished\): timed out after 2s/);
		expect(warnings.join('\n')).toMatch(/the webhook http:\/\/127\.0\.0\.1:\d+\/… failed for run.finished \(finished\): timed out after 2s/);
		// The warning reaches a person reading the run's output too.
		expect(slow.result.stdout).toMatch(/notify: the command `sleep 120` failed/);

		const broken = await timed({command: 'echo no such receiver >&2; exit 3', webhook: failing.url, timeoutSeconds});
		expect(broken.result.exitCode).toBe(0);
		const brokenWarnings = runEvents(broken.root).flatMap(e => (e.type === 'warning' && e.message.startsWith('notify:') ? [e.message] : []));
		expect(brokenWarnings.join('\n')).toMatch(/failed for run.finished \(finished\): exit 3: no such receiver/);
		expect(brokenWarnings.join('\n')).toMatch(/failed for run.finished \(finished\): HTTP 500/);
	}, 240_000);
});
