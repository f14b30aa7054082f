/**
 * The spawner as checks and verify use it (runShell), with real shells: the
 * log, the kept output, the exit code, the timeout's group kill, the drain,
 * the box and the container. The agent path is runner.test.ts.
 */
import {readFileSync} from 'node:fs';
import path from 'node:path';
import {randomBytes} from 'node:crypto';
import {afterEach, describe, expect, it} from 'vitest';
import {runShell} from '../../../source/core/shell.js';
import {containRun, killContained, probeContainment} from '../../../source/process/containment.js';
import {spawnProcess} from '../../../source/process/spawn.js';
import {alive, eventually, tempDir} from '../agents/helpers.js';
import {tagged} from '../../helpers/processes.js';

const env = (): Record<string, string> => ({PATH: process.env['PATH'] ?? '/usr/bin:/bin'});
const tags: string[] = [];
const runs: string[] = [];
afterEach(() => {
	for (const tag of tags.splice(0)) for (const pid of tagged(tag)) process.kill(pid, 'SIGKILL');
	for (const runId of runs.splice(0)) killContained(runId);
});

function shell(work: string, command: string, more: {timeoutMs?: number; box?: string[]; env?: Record<string, string>} = {}) {
	return runShell({
		command,
		cwd: work,
		env: more.env ?? env(),
		timeoutMs: more.timeoutMs ?? 20_000,
		logFile: path.join(work, 'logs', 'a.log'),
		label: 'check',
		box: more.box,
	});
}

describe('runShell (checks and verify)', () => {
	it('logs the command, its output and its exit between the two labels, and keeps the output', async () => {
		const work = tempDir();
		const result = await shell(work, 'echo out; echo err >&2; exit 3');
		expect(result).toEqual({ok: false, exitCode: 3, timedOut: false, output: expect.stringMatching(/out\n[^]*err\n|err\n[^]*out\n/)});
		const log = readFileSync(path.join(work, 'logs', 'a.log'), 'utf8');
		expect(log).toMatch(/^\n\[proofloop\] check: \$ echo out; echo err >&2; exit 3\n(out\nerr\n|err\nout\n)\[proofloop\] check: exit 3\n$/);
		expect(await shell(work, 'true')).toEqual({ok: true, exitCode: 0, timedOut: false, output: ''});
	});

	it('at its timeout kills the whole group at once, a member that ignores SIGTERM too', async () => {
		const work = tempDir();
		const pidFile = path.join(work, 'member.pid');
		const started = Date.now();
		const result = await shell(work, `sh -c 'trap "" TERM; echo $$ > ${pidFile}; sleep 60' & wait`, {timeoutMs: 1000});
		expect(Date.now() - started).toBeLessThan(10_000);
		expect(result).toMatchObject({ok: false, timedOut: true});
		expect(result.exitCode).toBeUndefined();
		expect(await eventually(() => !alive(Number(readFileSync(pidFile, 'utf8'))))).toBe(true);
		expect(readFileSync(path.join(work, 'logs', 'a.log'), 'utf8')).toMatch(/\[proofloop\] check: timed out\n$/);
	});

	it('ends when the shell exits, though a process that left the group still holds the pipe', async () => {
		const work = tempDir();
		const tag = `pl-spawn-${randomBytes(4).toString('hex')}`;
		tags.push(tag);
		const started = Date.now();
		const result = await shell(work, `setsid sh -c 'echo > up; sleep 60; : ${tag}' & while [ ! -e up ]; do sleep 0.05; done; echo started`);
		expect(Date.now() - started).toBeLessThan(10_000);
		expect(result).toEqual({ok: true, exitCode: 0, timedOut: false, output: 'started\n'});
	});

	it('runs the command inside the box it is given', async () => {
		const work = tempDir();
		const result = await shell(work, 'echo "boxed=$BOXED"', {box: ['/usr/bin/env', 'BOXED=yes']});
		expect(result.output).toBe('boxed=yes\n');
	});
});

describe('spawnProcess', () => {
	it('says why a program that does not exist never started', async () => {
		const work = tempDir();
		const result = await spawnProcess({
			file: path.join(work, 'no-such-program'),
			args: [],
			cwd: work,
			env: env(),
			logFile: path.join(work, 'a.log'),
			timeoutMs: 5000,
			killGraceMs: 0,
			drainMs: 100,
		});
		expect(result.pid).toBeUndefined();
		expect(result.startError).toMatch(/ENOENT/);
	});

	it('reports the signal that ended the leader', async () => {
		const work = tempDir();
		const result = await spawnProcess({
			file: '/bin/sh',
			args: ['-c', 'kill -USR1 $$'],
			cwd: work,
			env: env(),
			logFile: path.join(work, 'a.log'),
			timeoutMs: 5000,
			killGraceMs: 0,
			drainMs: 100,
		});
		expect(result).toMatchObject({signal: 'SIGUSR1', timedOut: false});
		expect(result.exitCode).toBeUndefined();
	});

	const mode = probeContainment({});
	it.skipIf(mode.kind === 'group')(`a spawn of a contained run (${mode.kind}) takes what hid from its group along`, async () => {
		const work = tempDir();
		const runId = `t-${randomBytes(4).toString('hex')}`;
		runs.push(runId);
		containRun(runId, mode, path.join(work, 'containment.json'));
		const tag = `pl-spawn-${randomBytes(4).toString('hex')}`;
		tags.push(tag);
		const result = await runShell({
			// Over once the orphan is up (the file is its own doing).
			command: `setsid env -i sh -c "echo > ${work}/up; sleep 60; : ${tag}" </dev/null >/dev/null 2>&1 & while [ ! -e ${work}/up ]; do sleep 0.05; done`,
			cwd: work,
			env: {...env(), PROOFLOOP_RUN_ID: runId, PROOFLOOP_TICKET: 'T-1'},
			timeoutMs: 20_000,
			logFile: path.join(work, 'a.log'),
			label: 'check',
		});
		expect(result).toMatchObject({ok: true, exitCode: 0});
		expect(tagged(tag)).toEqual([]);
	});
});
