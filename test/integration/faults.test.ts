import {existsSync, readdirSync, readFileSync, statSync} from 'node:fs';
import {randomBytes} from 'node:crypto';
import path from 'node:path';
import {execa} from 'execa';
import {afterAll, beforeAll, describe, expect, it} from 'vitest';
import {probeBwrap} from '../../source/agents/sandbox.js';
import type {EngineEvent} from '../../source/core/events.js';
import {findRunProcesses} from '../../source/process/orphans.js';
import {listRuns} from '../../source/core/run-dir.js';
import {CLI, makeRepo, runEvents} from '../helpers/repo.js';

// The agent fault matrix. Each fault is one ticket of a batch whose agents
// fail all at once, with the engine's memory sampled the whole time; each row
// below is a test of its ticket's outcome. Unsandboxed, one more batch runs
// the grandchild fault, where only the group kill and the run marker help.

const FAULT_AGENT = path.resolve('test/fixtures/agents/fault-agent.mjs');
const sandboxed = probeBwrap().ok;
/**
 * The engine's peak resident memory may not pass this, whatever its agents
 * print. Measured here: about 90 MB for a quiet run; about 270 MB while one
 * agent prints, whether 256 MB or 3 GB (a plateau set by V8's collection
 * heuristics for the garbage of decoded lines, not a leak: the runner alone
 * stays under 80 MB); about 340 MB with three printing at once.
 */
const RSS_LIMIT_MB = 400;
/** runner.ts: 64 MiB of log, then the last 1 MiB, plus one line saying what was left out. */
const LOG_LIMIT = 64 * 1024 * 1024 + 1024 * 1024 + 4096;
const TIMEOUT_SECONDS = 12;

type Row = {ticket: string; fault: string; reason: RegExp; stage?: string};
const rows: Row[] = [
	{ticket: 'HANG', fault: 'hang', reason: new RegExp(`timed out after ${TIMEOUT_SECONDS}s; the process group was killed`)},
	{ticket: 'SEGV', fault: 'segv', reason: /without a result event.*(SIGSEGV|139)/},
	{ticket: 'FLOOD', fault: 'flood', reason: /without a result event/},
	{ticket: 'GARBAGE', fault: 'garbage', reason: /without a result event/},
	{ticket: 'NORESULT', fault: 'no-result', reason: /without a result event/},
	{ticket: 'REFUSE', fault: 'refuse', reason: /tools were denied: .*Edit.*Bash/},
	{ticket: 'GRANDCHILD', fault: 'grandchild', reason: new RegExp(`timed out after ${TIMEOUT_SECONDS}s`)},
	{ticket: 'OUTSIDE', fault: 'outside', reason: /the diff against main is empty/, stage: 'guard'},
];

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
	const timer = setInterval(sample, 20);
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

type Batch = {
	root: string;
	runId: string;
	events: EngineEvent[];
	out: string;
	peakMb: number;
	seconds: number;
	exitCode: number | undefined;
	stderr: string;
	outside: Record<string, string>;
	gitConfig: string;
	leftover: number[];
};

async function runBatch(tickets: Row[], sandbox: 'auto' | 'none'): Promise<Batch> {
	const {root, plan, io} = makeRepo({
		tickets: tickets.map(r => ({id: r.ticket})),
		config: {
			attempts: 1,
			concurrency: tickets.length,
			attemptTimeoutSeconds: TIMEOUT_SECONDS,
			agent: {type: 'command', command: `node ${FAULT_AGENT}`, output: 'claude-stream-json'},
			sandbox,
		},
		plan: {...Object.fromEntries(tickets.map(r => [r.ticket, r.fault])), _floodSeconds: 8},
	});
	const out = path.join(io, 'out.jsonl');
	const home = process.env['HOME'] ?? '/root';
	// Unsandboxed, the outside writes would really happen: that agent then writes nothing.
	const outside =
		sandbox === 'auto' && sandboxed
			? {
					readme: path.join(root, 'README.md'),
					tracker: path.join(root, '.proofloop/tickets/OUTSIDE.md'),
					gitConfig: path.join(root, '.git/config'),
					home: path.join(home, `.pl-fault-probe-${randomBytes(4).toString('hex')}`),
					hostTmp: `/tmp/pl-fault-probe-${randomBytes(4).toString('hex')}`,
				}
			: {};
	const gitConfig = readFileSync(path.join(root, '.git/config'), 'utf8');
	const {result, peakMb, seconds} = await runSampled(root, {FAKE_AGENT_PLAN: plan, FAKE_AGENT_OUT: out, FAKE_OUTSIDE: JSON.stringify(outside)});
	const runId = listRuns(root)[0]!.id;
	return {
		root,
		runId,
		events: runEvents(root),
		out,
		peakMb,
		seconds,
		exitCode: result.exitCode,
		stderr: result.stderr,
		outside,
		gitConfig,
		leftover: findRunProcesses(runId),
	};
}

const table: string[] = [];
afterAll(() => {
	console.log(`\nfault matrix:\n${['fault               sandbox  reason', ...table].join('\n')}\n`);
});

const failure = (batch: Batch, ticket: string) =>
	batch.events.find((e): e is Extract<EngineEvent, {type: 'attempt.failed'}> => e.type === 'attempt.failed' && e.ticket === ticket);

function expectRow(batch: Batch, row: Row, mode: string): void {
	const failed = failure(batch, row.ticket);
	table.push(`${row.fault.padEnd(19)} ${mode.padEnd(8)} ${(failed?.reason ?? '(no failure)').split('\n')[0]!.slice(0, 120)}`);
	expect(failed).toMatchObject({ticket: row.ticket, attempt: 1, stage: row.stage ?? 'implement'});
	expect(failed!.reason).toMatch(row.reason);
	expect(readFileSync(path.join(batch.root, `.proofloop/tickets/${row.ticket}.md`), 'utf8')).toMatch(/status: failed/);
}

function expectEngineSurvived(batch: Batch): void {
	// The engine lived to judge: not done, exit 1; its memory bounded; nothing of the run left.
	expect(batch.stderr).toBe('');
	expect(batch.exitCode).toBe(1);
	expect(batch.events.at(-1)).toMatchObject({type: 'run.stopped', reason: 'stuck', oracleExit: 1});
	expect(batch.peakMb).toBeGreaterThan(0);
	expect(batch.peakMb).toBeLessThan(RSS_LIMIT_MB);
	expect(batch.leftover).toEqual([]);
}

describe(`the agent fault matrix, all at once (${sandboxed ? 'sandboxed' : 'UNSANDBOXED: bwrap unavailable'})`, () => {
	let batch: Batch;
	beforeAll(async () => {
		batch = await runBatch(rows, 'auto');
		table.push(`(engine peak RSS ${batch.peakMb.toFixed(0)} MB over ${batch.seconds.toFixed(1)} s, ${rows.length} faulty agents at once)`);
	}, 120_000);

	it(`the engine survives them all: exit 1 (not done), peak RSS under ${RSS_LIMIT_MB} MB, no process of the run left`, () => {
		expect(batch.events.find(e => e.type === 'run.started')).toMatchObject({sandbox: sandboxed ? 'bwrap' : 'none'});
		expectEngineSurvived(batch);
	});

	it.each(rows)('$fault: a failed attempt with a clear reason', row => {
		expectRow(batch, row, sandboxed ? 'bwrap' : 'none');
	});

	it('flood: the log keeps its head and its tail, not the gigabyte', () => {
		const log = readFileSync(path.join(listRuns(batch.root)[0]!.dir, 'logs', 'FLOOD', '1.log'), 'utf8');
		expect(log.length).toBeLessThan(LOG_LIMIT);
		const printed = Number(/flood: printed (\d+) bytes/.exec(log)?.[1]);
		const leftOut = Number(/\[proofloop: the output passed 67108864 bytes; (\d+) bytes left out, the last 1048576 follow\]/.exec(log)?.[1]);
		// However fast this machine piped it: far more than the cap went by, and the log says how much.
		expect(printed).toBeGreaterThan(256 * 1024 * 1024);
		expect(leftOut).toBeGreaterThan(printed - 64 * 1024 * 1024 - 2 * 1024 * 1024);
	});

	it.skipIf(!sandboxed)('outside: every write outside the worktree was refused, and nothing there changed', async () => {
		const results = readFileSync(batch.out, 'utf8')
			.trim()
			.split('\n')
			.map(line => JSON.parse(line) as {ticket: string; results?: Record<string, string>})
			.find(r => r.ticket === 'OUTSIDE')!.results;
		// /tmp was the sandbox's own.
		expect(results).toEqual({readme: 'EROFS', tracker: 'EROFS', gitConfig: 'EROFS', home: 'EROFS', hostTmp: 'written'});
		for (const file of filesOutside(batch.root)) expect(readFileSync(file, 'latin1'), file).not.toContain('written from outside the worktree');
		expect(readFileSync(path.join(batch.root, '.git/config'), 'utf8')).toBe(batch.gitConfig);
		expect(existsSync(batch.outside['home']!)).toBe(false);
		expect(existsSync(batch.outside['hostTmp']!)).toBe(false);
		// Nothing an agent wrote reached base: only the engine's own ticket-state commit sits on init.
		const subjects = (await execa('git', ['log', '--format=%s', 'main'], {cwd: batch.root})).stdout.split('\n');
		expect(subjects.filter(subject => !subject.startsWith('proofloop: ticket state of run '))).toEqual(['init']);
	});
});

describe('unsandboxed, the group kill and the run marker alone end what an agent started', () => {
	const row: Row = {ticket: 'GRANDCHILD', fault: 'grandchild', reason: new RegExp(`timed out after ${TIMEOUT_SECONDS}s`)};
	it('grandchild: a tool process ignoring SIGTERM and one that left the group are both gone', async () => {
		const batch = await runBatch([row], 'none');
		expect(batch.events.find(e => e.type === 'run.started')).toMatchObject({sandbox: 'none'});
		expectEngineSurvived(batch);
		expectRow(batch, row, 'none');
		// Unsandboxed the pids are the host's: each one is checked.
		const pids = (JSON.parse(readFileSync(batch.out, 'utf8').trim().split('\n')[0]!) as {pids: number[]}).pids;
		expect(pids).toHaveLength(3);
		for (const pid of pids) expect(alive(pid, batch.runId), `pid ${pid}`).toBe(false);
	}, 60_000);
});
