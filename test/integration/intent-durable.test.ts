import {execFileSync, spawnSync} from 'node:child_process';
import {existsSync, readFileSync} from 'node:fs';
import path from 'node:path';
import {execa} from 'execa';
import {describe, expect, it} from 'vitest';
import {listRuns} from '../../source/core/run-dir.js';
import {CLI, makeRepo, runCli, runEvents} from '../helpers/repo.js';

// The event log's fdatasyncs run in libuv's pool, grouped (event-log.ts). Under
// strace each one is made to take 2 s: a side effect that did not wait for
// its intent's fdatasync would start while that fdatasync is still running.
const straceWorks = spawnSync('strace', ['-f', '-qq', '-o', '/dev/null', '-e', 'inject=fdatasync:delay_exit=1000', 'true']).status === 0;

type Line = {index: number; pid: string; text: string};

/** strace -f -y output, one syscall a line (or its unfinished and resumed halves), quotes unescaped. */
function parseTrace(file: string): Line[] {
	return readFileSync(file, 'utf8')
		.split('\n')
		.map((raw, index) => {
			const match = /^(\d+)\s+(.*)$/.exec(raw);
			return {index, pid: match?.[1] ?? '', text: (match?.[2] ?? raw).replace(/\\"/g, '"')};
		});
}

/** Whether an fdatasync of the event log started after `after` and returned before `before`. */
function syncedBetween(lines: Line[], after: number, before: number): boolean {
	for (const start of lines) {
		if (start.index <= after || start.index >= before) continue;
		if (!/^fdatasync\(\d+<[^>]*events\.jsonl>\)?/.test(start.text)) continue;
		if (/\) = 0/.test(start.text)) return true;
		const done = lines.find(l => l.index > start.index && l.pid === start.pid && /^<\.\.\. fdatasync resumed>.*= 0/.test(l.text));
		if (done && done.index < before) return true;
	}
	return false;
}

const logWrite = (lines: Line[], ticket: string, type: string, extra = '') =>
	lines.find(
		l =>
			/^write\(\d+<[^>]*events\.jsonl>/.test(l.text) &&
			l.text.includes(`"ticket":"${ticket}"`) &&
			l.text.includes(`"type":"${type}"`) &&
			l.text.includes(extra),
	);

describe.skipIf(!straceWorks)("every side effect follows its fsync'd intent (group commit)", () => {
	it("the agent, the merge, the ledger record and the ticket file each start only after their event is fdatasync'd", async () => {
		const {root, plan} = makeRepo({tickets: [{id: 'A'}, {id: 'B', deps: ['A']}], config: {concurrency: 1, sandbox: 'none'}, plan: {_sleepMs: 50}});
		const trace = `${root}-io/trace.txt`;
		const run = await execa(
			'strace',
			[
				'-f',
				'-qq',
				'-y',
				'-s',
				'200',
				'-e',
				'trace=write,fdatasync,execve,rename',
				'-e',
				'inject=fdatasync:delay_exit=2000000',
				'-o',
				trace,
				process.execPath,
				CLI,
				'run',
				'--headless',
			],
			{cwd: root, reject: false, env: {FAKE_AGENT_PLAN: plan, NO_COLOR: '1'}, stdin: 'ignore'},
		);
		expect(run.stderr).toBe('');
		expect(run.exitCode).toBe(0);
		const lines = parseTrace(trace);
		for (const id of ['A', 'B']) {
			const checks: Array<[string, string, string, RegExp]> = [
				['attempt.started', '', 'the agent', new RegExp(`^execve\\(.*fake-agent\\.mjs", "${id}"`)],
				['merge.intent', '', 'the merge into main', new RegExp(`^execve\\(.*"update-ref", "-m", "proofloop: merge ${id}"`)],
				['ticket.done', '', 'the ledger record', new RegExp(`^execve\\(.*"update-ref", "-m", "[^"]*${id}[^"]*", "refs/heads/proofloop-ledger"`)],
				['ticket.status', '"status":"done"', 'the ticket file saying done', new RegExp(`^rename\\([^,]*\\.${id}\\.md\\.[^,]*\\.tmp", "[^"]*/${id}\\.md"`)],
			];
			for (const [type, extra, what, effect] of checks) {
				const intent = logWrite(lines, id, type, extra);
				expect(intent, `${id}: the ${type} event in the log`).toBeDefined();
				const act = lines.find(l => l.index > intent!.index && effect.test(l.text));
				expect(act, `${id}: ${what} after ${type}`).toBeDefined();
				expect(syncedBetween(lines, intent!.index, act!.index), `${id}: ${what} started before ${type} was fdatasync'd`).toBe(true);
			}
		}
	}, 400_000);
});

describe('a SIGKILL of the engine with ticket file writes following the log', () => {
	it('a pause the engine answered is in the log after the kill; the resumed run brings the ticket files up to date and finishes', async () => {
		const {root, plan} = makeRepo({tickets: [{id: 'A'}, {id: 'B'}], config: {concurrency: 2}, plan: {_sleepMs: 3000}});
		const engine = execa(process.execPath, [CLI, 'run', '--headless'], {cwd: root, reject: false, env: {FAKE_AGENT_PLAN: plan}, stdin: 'ignore'});
		const started = () => {
			const run = listRuns(root)[0];
			return Boolean(run && existsSync(run.eventsFile) && readFileSync(run.eventsFile, 'utf8').includes('"type":"agent.spawned"'));
		};
		for (const until = Date.now() + 60_000; !started();) {
			if (Date.now() > until) throw new Error('no agent started');
			await new Promise(resolve => setTimeout(resolve, 25));
		}
		const paused = await runCli(root, ['pause']);
		expect(paused.exitCode).toBe(0);
		// Acknowledged: now kill, with no chance to flush anything.
		engine.kill('SIGKILL');
		await engine;
		const events = runEvents(root);
		expect(events.filter(e => e.type === 'intervention' && e.kind === 'pause')).toHaveLength(1);
		expect(events.filter(e => e.type === 'attempt.started').map(e => ('ticket' in e ? e.ticket : ''))).toEqual(expect.arrayContaining(['A', 'B']));
		const resumed = await runCli(root, ['run', '--headless'], {FAKE_AGENT_PLAN: plan});
		expect(resumed.stderr).toBe('');
		expect(resumed.exitCode, resumed.stdout).toBe(0);
		for (const id of ['A', 'B']) expect(readFileSync(path.join(root, '.proofloop', 'tickets', `${id}.md`), 'utf8')).toMatch(/^status: done$/m);
		expect(execFileSync('git', ['status', '--porcelain'], {cwd: root, encoding: 'utf8'})).toBe('');
		expect(runEvents(root).filter(e => e.type === 'warning' && e.message.startsWith('TAMPER'))).toEqual([]);
	}, 180_000);
});
