import {existsSync, readFileSync, statSync, writeFileSync} from 'node:fs';
import path from 'node:path';
import {randomBytes} from 'node:crypto';
import {execa} from 'execa';
import {afterEach, describe, expect, it} from 'vitest';
import {probeContainment, type ContainmentKind} from '../../source/process/containment.js';
import {probeBwrap} from '../../source/agents/sandbox.js';
import {readEventLog} from '../../source/core/event-log.js';
import type {EngineEvent} from '../../source/core/events.js';
import {listRuns} from '../../source/core/run-dir.js';
import {makeRepo, runCli} from '../helpers/repo.js';
import {tagged} from '../helpers/processes.js';

/**
 * Issue 18, item 8: a process an agent starts that leaves its process group,
 * session and environment (setsid env -i, a double fork, nohup, a new name)
 * is gone when its attempt ends, sandboxed and not.
 */
const AGENT = path.resolve('test/fixtures/agents/hiding-agent.sh');
const sleep = (ms: number) => new Promise(resolve => setTimeout(resolve, ms));

const tags: string[] = [];
afterEach(() => {
	// Whatever escaped (on a build without containment) must not outlive the test.
	for (const tag of tags.splice(0)) for (const pid of tagged(tag)) process.kill(pid, 'SIGKILL');
});

function events(root: string): EngineEvent[] {
	const run = listRuns(root)[0];
	return run ? readEventLog(run.eventsFile).events : [];
}

async function until(what: string, check: () => boolean, ms: number): Promise<void> {
	const end = Date.now() + ms;
	while (!check()) {
		if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
		await sleep(50);
	}
}

/** When the heartbeat was last written (0: never). Its mtime, not its text: a read can fall between the truncate and the write. */
const heartbeat = (io: string): number => {
	try {
		return statSync(path.join(io, 'heartbeat')).mtimeMs;
	} catch {
		return 0;
	}
};

/**
 * One ticket whose agent starts hiding children, then exits 0 (or hangs until
 * its timeout). Measured once its agent.exited event is written, while the
 * run still goes on (the check sleeps): the children must already be gone.
 */
async function hidingRepo(opts: {sandbox: 'auto' | 'none'; mode: 'exit' | 'hang'; checkOrphan?: boolean}) {
	const tag = `pl-hide-${randomBytes(4).toString('hex')}`;
	tags.push(tag);
	const checks = [...(opts.checkOrphan ? [`setsid env -i sh -c "sleep 300; : ${tag}-check" >/dev/null 2>&1 &`] : []), 'sleep 3'];
	const {root, io} = makeRepo({
		tickets: [{id: 'A'}],
		// No heal: a healer is this same agent, and its own heartbeat would be taken for an escaped child's.
		config: {sandbox: opts.sandbox, attempts: 1, concurrency: 1, attemptTimeoutSeconds: opts.mode === 'hang' ? 10 : 120, checks, selfHeal: {max: 0}},
	});
	// The command agent's template: {io} is not a placeholder, so the path goes in as written (no spaces in a temp dir).
	const config = path.join(root, '.proofloop', 'config.json');
	const parsed = JSON.parse(readFileSync(config, 'utf8')) as Record<string, unknown>;
	parsed['agent'] = {type: 'command', command: `sh ${AGENT} ${io} ${tag} ${opts.mode}`};
	writeFileSync(config, JSON.stringify(parsed, null, 2));
	await execa('git', ['commit', '-qam', 'agent'], {cwd: root});
	return {root, io, tag};
}

async function hidingRun(opts: {sandbox: 'auto' | 'none'; mode: 'exit' | 'hang'; containment?: ContainmentKind; checkOrphan?: boolean}) {
	const {root, io, tag} = await hidingRepo(opts);
	const run = runCli(root, ['run', '--headless'], opts.containment ? {PROOFLOOP_CONTAINMENT: opts.containment} : {});
	await until('the agent to exit', () => events(root).some(e => e.type === 'agent.exited'), 90_000);
	const spawned = heartbeat(io) !== 0;
	// Killing is synchronous at the agent's exit; the grace is for a loaded machine.
	let alive = tagged(tag);
	for (let i = 0; i < 40 && alive.length > 0; i++) {
		await sleep(50);
		alive = tagged(tag);
	}
	const before = heartbeat(io);
	await sleep(600);
	const beating = heartbeat(io) !== before;
	const result = await run;
	return {root, tag, spawned, alive, beating, result, events: events(root)};
}

const startOf = (all: EngineEvent[]) => all.find(e => e.type === 'run.started');
const exited = (all: EngineEvent[]) => all.find(e => e.type === 'agent.exited');

const bwrap = probeBwrap();
describe.skipIf(!bwrap.ok)('sandboxed: bwrap alone (no cgroup) ends what the agent hid', () => {
	it('an agent that exits 0 takes its setsid env -i and double-forked grandchildren along', async () => {
		const r = await hidingRun({sandbox: 'auto', mode: 'exit', containment: 'group'});
		expect(r.spawned).toBe(true);
		expect(r.alive).toEqual([]);
		expect(r.beating).toBe(false);
		expect(exited(r.events)).toMatchObject({ok: true});
		expect(startOf(r.events)).toMatchObject({sandbox: 'bwrap'});
	}, 120_000);

	it('a hanging agent killed at its timeout takes its escaped grandchildren too', async () => {
		const r = await hidingRun({sandbox: 'auto', mode: 'hang', containment: 'group'});
		expect(r.spawned).toBe(true);
		expect(r.alive).toEqual([]);
		expect(r.beating).toBe(false);
		expect(exited(r.events)).toMatchObject({ok: false, reason: expect.stringMatching(/timed out/)});
	}, 120_000);
});

const best = probeContainment({});
describe.skipIf(best.kind === 'group')(`unsandboxed: contained by ${best.kind}`, () => {
	it('an agent that exits 0 takes its hiding grandchildren along, and a check its setsid env -i orphan; no cgroup is left', async () => {
		const r = await hidingRun({sandbox: 'none', mode: 'exit', checkOrphan: true});
		expect(r.spawned).toBe(true);
		expect(r.alive).toEqual([]);
		expect(r.beating).toBe(false);
		expect(tagged(`${r.tag}-check`)).toEqual([]);
		expect(exited(r.events)).toMatchObject({ok: true});
		expect(startOf(r.events)).toMatchObject({sandbox: 'none', containment: expect.stringMatching(new RegExp(`^${best.kind}`))});
		expect(r.result.exitCode).toBe(0);
		if ('base' in best) expect(existsSync(path.join(best.base, 'proofloop', listRuns(r.root)[0]!.id))).toBe(false);
	}, 120_000);

	it('a hanging agent killed at its timeout takes its escaped grandchildren too', async () => {
		const r = await hidingRun({sandbox: 'none', mode: 'hang'});
		expect(r.spawned).toBe(true);
		expect(r.alive).toEqual([]);
		expect(r.beating).toBe(false);
		expect(exited(r.events)).toMatchObject({ok: false, reason: expect.stringMatching(/timed out/)});
	}, 120_000);

	it('what a SIGKILLed engine left in its cgroups is killed when the run starts again', async () => {
		const {root, io, tag} = await hidingRepo({sandbox: 'none', mode: 'hang'});
		const first = runCli(root, ['run', '--headless']);
		await until('the hiding children', () => heartbeat(io) !== 0, 90_000);
		first.kill('SIGKILL');
		await first;
		const left = tagged(tag);
		// The agent, its env -i sleeper, the heartbeat, the renamed one: the engine's death ended none of them.
		expect(left.length).toBeGreaterThanOrEqual(3);

		const again = runCli(root, ['run', '--headless']);
		await until('the resume', () => events(root).some(e => e.type === 'run.resumed'), 90_000);
		const isLeft = (pid: number) => {
			try {
				return readFileSync(`/proc/${pid}/cmdline`, 'latin1').includes(tag);
			} catch {
				return false;
			}
		};
		await until('the leftovers to be killed', () => !left.some(isLeft), 10_000).catch(() => undefined);
		const survivors = left.filter(isLeft);
		const said = () => events(root).some(e => e.type === 'warning' && /left in this run's cgroups by the previous engine/.test(e.message));
		await until('the warning', said, 10_000).catch(() => undefined);
		again.kill('SIGTERM');
		await again;
		expect(survivors).toEqual([]);
		expect(said()).toBe(true);
	}, 180_000);
});

// Each fallback this machine has, forced: the same promise by another mechanism.
for (const kind of ['cgroup1', 'pidns'] as const) {
	const here = probeContainment({PROOFLOOP_CONTAINMENT: kind});
	describe.skipIf(here.kind !== kind)(`unsandboxed: contained by ${kind} when asked`, () => {
		it('an agent that exits 0 takes its hiding grandchildren along', async () => {
			const r = await hidingRun({sandbox: 'none', mode: 'exit', containment: kind});
			expect(r.spawned).toBe(true);
			expect(r.alive).toEqual([]);
			expect(r.beating).toBe(false);
			expect(startOf(r.events)).toMatchObject({containment: expect.stringMatching(new RegExp(`^${kind}`))});
		}, 120_000);
	});
}

describe('unsandboxed without containment', () => {
	it('says once, loudly, that a process leaving its group and environment can escape', async () => {
		const r = await hidingRun({sandbox: 'none', mode: 'exit', containment: 'group'});
		expect(startOf(r.events)).toMatchObject({containment: expect.stringMatching(/^group/)});
		expect(r.events.filter(e => e.type === 'warning' && /setsid env -i/.test(e.message))).toHaveLength(1);
	}, 120_000);
});
