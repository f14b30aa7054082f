import {mkdirSync, mkdtempSync} from 'node:fs';
import {tmpdir} from 'node:os';
import path from 'node:path';
import {execFileSync} from 'node:child_process';
import {execa, type ResultPromise} from 'execa';
import {afterAll, afterEach, beforeAll, describe, expect, it} from 'vitest';
import {CLI, makeRepo, runCli, runEvents} from '../helpers/repo.js';
import {redisProbe, startRedis, type RedisServer} from '../helpers/redis-server.js';
import {probeBwrap} from '../../source/agents/sandbox.js';

// agentCaps is an account's rate limit: a worker's agent counts as a local one (#17).
const UNBOXED = probeBwrap().ok ? [] : ['--unsandboxed'];
const probe = redisProbe('the queue agentCaps test');
let redis: RedisServer;
beforeAll(async () => {
	if (probe.ok) redis = await startRedis();
}, 60_000);
afterAll(async () => {
	await redis?.stop();
});
const workers: ResultPromise[] = [];
afterEach(async () => {
	for (const w of workers.splice(0)) {
		w.kill('SIGKILL');
		await w.catch(() => {});
	}
});

/** The most remote agents running at one moment: from the worker's word that it started one to the agent's exit. */
function peakRemote(events: ReturnType<typeof runEvents>): number {
	let live = 0;
	let peak = 0;
	for (const e of events) {
		if (e.type === 'agent.remote') peak = Math.max(peak, ++live);
		if (e.type === 'agent.exited') live--;
	}
	return peak;
}

async function runBatch(db: number, config: Record<string, unknown>) {
	const top = mkdtempSync(path.join(tmpdir(), 'pl-qcaps-'));
	const remote = path.join(top, 'remote.git');
	execFileSync('git', ['init', '-q', '--bare', remote]);
	const url = redis.url.replace(/\/\d+$/, `/${db}`);
	const {root, plan} = makeRepo({
		tickets: ['A', 'B', 'C', 'D'].map(id => ({id})),
		plan: {_sleepMs: 2000},
		config: {executor: {kind: 'queue', url, remote}, concurrency: 4, ...config},
	});
	for (const n of [1, 2]) {
		const dir = path.join(top, `worker-${n}`);
		mkdirSync(dir);
		workers.push(
			execa(process.execPath, [CLI, 'worker', '--queue', url, '--remote', remote, '--concurrency', '2', ...UNBOXED], {
				cwd: dir,
				reject: false,
				stdin: 'ignore',
				env: {FAKE_AGENT_PLAN: plan, NO_COLOR: '1'},
			}),
		);
	}
	const result = await runCli(root, ['run', '--headless'], {FAKE_AGENT_PLAN: plan});
	expect(result.exitCode, result.stdout + result.stderr).toBe(0);
	return runEvents(root);
}

describe.skipIf(!probe.ok)('agentCaps with agents on workers', () => {
	it('agentCaps {"command": 2} holds the run to two agents on the workers at once (room for four); the others wait, spending nothing', async () => {
		const events = await runBatch(1, {agentCaps: {command: 2}});
		expect(peakRemote(events)).toBe(2);
		expect(events.filter(e => e.type === 'agent.waiting')).toEqual([
			expect.objectContaining({agent: 'command', role: 'worker', cap: 2}),
			expect.objectContaining({agent: 'command', role: 'worker', cap: 2}),
		]);
		expect(events.filter(e => e.type === 'attempt.started')).toHaveLength(4);
		// Without the cap the same batch runs more at once (the measure can see a breach).
		expect(peakRemote(await runBatch(2, {}))).toBeGreaterThan(2);
	}, 180_000);
});
