/**
 * containment.ts with real processes and real cgroups (skipped where this
 * machine has none to write): what a spawn hides is found by its cgroup, and
 * an engine start reaps only its own run's leftovers.
 */
import {spawnSync} from 'node:child_process';
import {existsSync, mkdirSync, readdirSync, readFileSync, rmdirSync, utimesSync, writeFileSync} from 'node:fs';
import path from 'node:path';
import {randomBytes} from 'node:crypto';
import {afterEach, describe, expect, it} from 'vitest';
import {contain, containRun, killContained, probeContainment} from '../../../source/process/containment.js';
import {tempDir} from '../agents/helpers.js';
import {commandLine, tagged} from '../../helpers/processes.js';

const tags: string[] = [];
const runs: string[] = [];
afterEach(() => {
	for (const tag of tags.splice(0)) for (const pid of tagged(tag)) process.kill(pid, 'SIGKILL');
	// A failed assertion must not leave a test's cgroups behind.
	for (const runId of runs.splice(0)) killContained(runId);
});

/** Starts, through `contain`, a shell that leaves behind a `setsid env -i` orphan carrying `tag`, and returns at once. */
function leaveOrphan(runId: string, ticket: string, tag: string) {
	tags.push(tag);
	runs.push(runId);
	const box = contain(
		{PROOFLOOP_RUN_ID: runId, PROOFLOOP_TICKET: ticket},
		{file: '/bin/sh', args: ['-c', `setsid env -i sh -c "sleep 300; : ${tag}" </dev/null >/dev/null 2>&1 &`]},
	);
	expect(spawnSync(box.command.file, box.command.args, {stdio: 'inherit'}).status).toBe(0);
	// Wait for the orphan's own shell: on its way there (the shell's fork, setsid, env) the pid carries the tag
	// too, but reads an empty cmdline while it execs the next stage, so a test could see it vanish for a moment.
	const deadline = Date.now() + 10_000;
	while (!tagged(tag).some(pid => commandLine(pid)[0] === 'sh') && Date.now() < deadline) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 20);
	expect(tagged(tag).map(pid => commandLine(pid)[0])).toContain('sh');
	return box;
}

for (const kind of ['cgroup2', 'cgroup1'] as const) {
	const mode = probeContainment({PROOFLOOP_CONTAINMENT: kind});
	describe.skipIf(mode.kind !== kind)(`containment by ${kind}`, () => {
		it('ending a spawn kills what it hid and removes its cgroup', () => {
			const runId = `t-${randomBytes(4).toString('hex')}`;
			containRun(runId, mode, path.join(tempDir(), 'containment.json'));
			const tag = `pl-contain-${randomBytes(4).toString('hex')}`;
			const box = leaveOrphan(runId, 'T-1', tag);
			expect(box.end().length).toBeGreaterThan(0);
			expect(tagged(tag)).toEqual([]);
			const ticketDir = path.join((mode as {base: string}).base, 'proofloop', runId, 'T-1');
			expect(readdirSync(ticketDir, {withFileTypes: true}).filter(e => e.isDirectory())).toEqual([]);
			killContained(runId);
			expect(existsSync(path.join((mode as {base: string}).base, 'proofloop', runId))).toBe(false);
		});

		it("an engine starting a run again kills what a crashed engine of that run left, never another run's", () => {
			const mine = `t-${randomBytes(4).toString('hex')}`;
			const theirs = `t-${randomBytes(4).toString('hex')}`;
			const record = path.join(tempDir(), 'containment.json');
			containRun(mine, mode, record);
			containRun(theirs, mode, path.join(tempDir(), 'containment.json'));
			const left = `pl-contain-${randomBytes(4).toString('hex')}`;
			const other = `pl-contain-${randomBytes(4).toString('hex')}`;
			// The engine "crashes": the boxes are never ended.
			leaveOrphan(mine, 'A', left);
			leaveOrphan(theirs, 'B', other);
			expect(JSON.parse(readFileSync(record, 'utf8'))).toMatchObject({kind, cgroup: path.join((mode as {base: string}).base, 'proofloop', mine)});

			const killed = containRun(mine, mode, record);
			expect(killed.length).toBeGreaterThan(0);
			expect(tagged(left)).toEqual([]);
			expect(tagged(other).length).toBeGreaterThan(0);
			killContained(theirs);
			expect(tagged(other)).toEqual([]);
		});

		it('an engine start removes the empty cgroups other runs abandoned long ago, and nothing of a run that may be live', () => {
			const proofloop = path.join((mode as {base: string}).base, 'proofloop');
			const old = path.join(proofloop, `t-${randomBytes(4).toString('hex')}`);
			const fresh = path.join(proofloop, `t-${randomBytes(4).toString('hex')}`);
			mkdirSync(path.join(old, 'A', '1-1'), {recursive: true});
			mkdirSync(path.join(fresh, 'A'), {recursive: true});
			const hour = Date.now() / 1000 - 3600;
			for (const dir of [old, path.join(old, 'A'), path.join(old, 'A', '1-1')]) utimesSync(dir, hour, hour);
			// An old cgroup with a process in it belongs to someone alive: kept.
			const busyRun = `t-${randomBytes(4).toString('hex')}`;
			containRun(busyRun, mode, path.join(tempDir(), 'containment.json'));
			const tag = `pl-contain-${randomBytes(4).toString('hex')}`;
			leaveOrphan(busyRun, 'B', tag);
			const busy = path.join(proofloop, busyRun, 'B');
			for (const dir of [
				path.join(proofloop, busyRun),
				busy,
				...readdirSync(busy, {withFileTypes: true})
					.filter(e => e.isDirectory())
					.map(e => path.join(busy, e.name)),
			])
				utimesSync(dir, hour, hour);
			try {
				const mine = `t-${randomBytes(4).toString('hex')}`;
				runs.push(mine);
				containRun(mine, mode, path.join(tempDir(), 'containment.json'));
				expect(existsSync(old)).toBe(false);
				expect(existsSync(path.join(fresh, 'A'))).toBe(true);
				expect(tagged(tag).length).toBeGreaterThan(0);
				expect(existsSync(busy)).toBe(true);
			} finally {
				for (const dir of [path.join(fresh, 'A'), fresh]) rmdirSync(dir);
			}
		});

		it("a record naming a directory that is not this run's cgroup is not followed", () => {
			const runId = `t-${randomBytes(4).toString('hex')}`;
			const victim = `t-${randomBytes(4).toString('hex')}`;
			containRun(victim, mode, path.join(tempDir(), 'containment.json'));
			const tag = `pl-contain-${randomBytes(4).toString('hex')}`;
			leaveOrphan(victim, 'V', tag);
			const record = path.join(tempDir(), 'containment.json');
			writeFileSync(record, JSON.stringify({kind, cgroup: path.join((mode as {base: string}).base, 'proofloop', victim)}));
			containRun(runId, mode, record);
			expect(tagged(tag).length).toBeGreaterThan(0);
			killContained(victim);
			killContained(runId);
		});
	});
}

describe('without a contained run', () => {
	it('a spawn of no contained run is left as it is', () => {
		const box = contain({PROOFLOOP_RUN_ID: 'never-contained'}, {file: 'x', args: ['y']});
		expect(box.command).toEqual({file: 'x', args: ['y']});
		expect(box.end()).toEqual([]);
	});
});
