import {existsSync, readdirSync, readFileSync, statSync} from 'node:fs';
import {randomBytes} from 'node:crypto';
import path from 'node:path';
import {execa} from 'execa';
import {afterAll, describe, expect, it} from 'vitest';
import {probeBwrap} from '../../source/agents/sandbox.js';
import {findRunProcesses} from '../../source/core/orphans.js';
import {listRuns} from '../../source/core/run-dir.js';
import {CLI, makeRepo, runEvents} from '../helpers/repo.js';

const FAULT_AGENT = path.resolve('test/fixtures/agents/fault-agent.mjs');
const sandboxed = probeBwrap().ok;
/** The engine's peak resident memory may not pass this, whatever an agent prints. */
const RSS_LIMIT_MB = 300;
/** runner.ts: 64 MiB of log, then the last 1 MiB, plus one line saying what was left out. */
const LOG_LIMIT = 64 * 1024 * 1024 + 1024 * 1024 + 4096;

type Row = {fault: string; reason: RegExp; stage?: string; timeoutSeconds?: number; sandbox?: 'none'};
const rows: Row[] = [
	{fault: 'hang', reason: /timed out after 3s; the process group was killed/, timeoutSeconds: 3},
	{fault: 'segv', reason: /without a result event.*(SIGSEGV|139)/},
	{fault: 'flood', reason: /without a result event/},
	{fault: 'garbage', reason: /without a result event/},
	{fault: 'no-result', reason: /without a result event/},
	{fault: 'refuse', reason: /tools were denied: .*Edit.*Bash/},
	{fault: 'grandchild', reason: /timed out after 3s/, timeoutSeconds: 3},
	// Unsandboxed the group kill and the run marker alone must end them (the pids are the host's, checked one by one).
	{fault: 'grandchild', reason: /timed out after 3s/, timeoutSeconds: 3, sandbox: 'none'},
	{fault: 'outside', reason: /the diff against main is empty/, stage: 'guard'},
];

const table: string[] = [];
afterAll(() => {
	console.log(`\nfault matrix (sandbox: ${sandboxed ? 'bwrap' : 'none'}):\n${['fault              engine peak RSS  seconds  reason', ...table].join('\n')}\n`);
});

/** A process that still exists and still carries the run's marker (a reused pid does not count). */
function alive(pid: number, runId: string): boolean {
	try {
		return readFileSync(`/proc/${pid}/environ`, 'latin1').includes(`PROOFLOOP_RUN_ID=${runId}`);
	} catch {
		return false;
	}
}

/** Runs the engine headless, sampling its peak RSS (VmHWM) from /proc while it lives. */
async function runSampled(root: string, env: Record<string, string>) {
	const started = Date.now();
	const engine = execa(process.execPath, [CLI, 'run', '--headless'], {cwd: root, reject: false, env: {...env, NO_COLOR: '1'}, stdin: 'ignore'});
	let peakKb = 0;
	const sample = () => {
		try {
			const hwm = /VmHWM:\s+(\d+)/.exec(readFileSync(`/proc/${engine.pid}/status`, 'utf8'));
			if (hwm) peakKb = Math.max(peakKb, Number(hwm[1]));
		} catch {
			// Gone.
		}
	};
	const timer = setInterval(sample, 25);
	const result = await engine;
	clearInterval(timer);
	return {result, peakMb: peakKb / 1024, seconds: (Date.now() - started) / 1000};
}

/** Every file under the repo except the engine's own run and worktree directories, and .git's object store. */
function filesOutside(root: string): string[] {
	const out: string[] = [];
	const walk = (dir: string) => {
		for (const name of readdirSync(dir)) {
			const file = path.join(dir, name);
			const rel = path.relative(root, file);
			if (['.proofloop/runs', '.proofloop/worktrees', '.git/objects'].includes(rel)) continue;
			if (statSync(file).isDirectory()) walk(file);
			else out.push(file);
		}
	};
	walk(root);
	return out;
}

describe(`the agent fault matrix (${sandboxed ? 'sandboxed' : 'UNSANDBOXED: bwrap unavailable'})`, () => {
	it.each(rows)('$fault $sandbox: a failed attempt with a clear reason, no process left, engine memory bounded', async row => {
		const {root, plan, io} = makeRepo({
			tickets: [{id: 'T'}],
			config: {
				attempts: 1,
				attemptTimeoutSeconds: row.timeoutSeconds ?? 60,
				agent: {type: 'command', command: `node ${FAULT_AGENT}`, output: 'claude-stream-json'},
				...(row.sandbox ? {sandbox: row.sandbox} : {}),
			},
			plan: {T: row.fault},
		});
		const out = path.join(io, 'out.jsonl');
		const home = process.env['HOME'] ?? '/root';
		const outside = {
			readme: path.join(root, 'README.md'),
			tracker: path.join(root, '.proofloop/tickets/T.md'),
			gitConfig: path.join(root, '.git/config'),
			home: path.join(home, `.pl-fault-probe-${randomBytes(4).toString('hex')}`),
			hostTmp: `/tmp/pl-fault-probe-${randomBytes(4).toString('hex')}`,
		};
		const gitConfig = readFileSync(outside.gitConfig, 'utf8');

		const boxed = sandboxed && row.sandbox !== 'none';
		const {result, peakMb, seconds} = await runSampled(root, {FAKE_AGENT_PLAN: plan, FAKE_AGENT_OUT: out, FAKE_OUTSIDE: JSON.stringify(row.fault === 'outside' && !boxed ? {} : outside)});
		const events = runEvents(root);
		const failed = events.find(e => e.type === 'attempt.failed');
		const reason = failed && 'reason' in failed ? failed.reason : '';
		table.push(`${`${row.fault}${boxed ? '' : ' (none)'}`.padEnd(18)} ${`${peakMb.toFixed(0)} MB`.padStart(15)}  ${seconds.toFixed(1).padStart(7)}  ${reason.split('\n')[0]!.slice(0, 110)}`);

		// The engine lived to judge the run: not done, exit 1, the ticket failed with the reason.
		expect(result.stderr).toBe('');
		expect(result.exitCode).toBe(1);
		expect(failed).toMatchObject({ticket: 'T', attempt: 1, stage: row.stage ?? 'implement'});
		expect(reason).toMatch(row.reason);
		expect(readFileSync(path.join(root, '.proofloop/tickets/T.md'), 'utf8')).toMatch(/status: failed/);
		expect(events.at(-1)).toMatchObject({type: 'run.stopped', reason: 'stuck', oracleExit: 1});

		// Nothing of the run survives it: not the agent, not what it started, not what left its group.
		const runId = listRuns(root)[0]!.id;
		expect(findRunProcesses(runId)).toEqual([]);
		expect(peakMb).toBeGreaterThan(0);
		expect(peakMb).toBeLessThan(RSS_LIMIT_MB);

		const log = path.join(listRuns(root)[0]!.dir, 'logs', 'T', '1.log');
		if (row.fault === 'flood') {
			// The agent printed about a gigabyte; the log kept its head and its tail.
			expect(statSync(log).size).toBeLessThan(LOG_LIMIT);
			expect(readFileSync(log, 'utf8')).toMatch(/\[proofloop: the output passed 67108864 bytes; \d+ bytes left out, the last 1048576 follow\]/);
			const leftOut = Number(/; (\d+) bytes left out/.exec(readFileSync(log, 'utf8'))![1]);
			expect(leftOut).toBeGreaterThan(900 * 1024 * 1024);
		}
		if (row.fault === 'grandchild' && !boxed) {
			// Unsandboxed the pids are the host's: each is gone (the setsid'd one by the run marker).
			const pids = (JSON.parse(readFileSync(out, 'utf8').trim().split('\n')[0]!) as {pids: number[]}).pids;
			expect(pids).toHaveLength(3);
			for (const pid of pids) expect(alive(pid, runId), `pid ${pid}`).toBe(false);
		}
		if (row.fault === 'outside' && boxed) {
			const results = (JSON.parse(readFileSync(out, 'utf8').trim().split('\n')[0]!) as {results: Record<string, string>}).results;
			// Every write outside the worktree was refused; /tmp was the sandbox's own.
			expect(results).toEqual({readme: 'EROFS', tracker: 'EROFS', gitConfig: 'EROFS', home: 'EROFS', hostTmp: 'written'});
			for (const file of filesOutside(root)) expect(readFileSync(file, 'latin1'), file).not.toContain('written from outside the worktree');
			expect(readFileSync(outside.gitConfig, 'utf8')).toBe(gitConfig);
			expect(existsSync(outside.home)).toBe(false);
			expect(existsSync(outside.hostTmp)).toBe(false);
		}
	});
});
