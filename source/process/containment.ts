/**
 * Containment: every process an engine spawn starts (agent, reviewer, planner,
 * healer, check, verify) is found and killed when that spawn ends, however it
 * hides: a new session, a new process group, an empty environment (`setsid env
 * -i`), a double fork, nohup, another name. Chosen once per run by probing, best first:
 * - cgroup2: a cgroup per spawn, under the engine's own cgroup where it may
 *   create one (root, or a systemd-delegated user slice); ended with
 *   cgroup.kill (or freeze, kill every pid, thaw), then removed.
 * - cgroup1: the same in a writable v1 `freezer` hierarchy (frozen, killed,
 *   thawed) or `pids` hierarchy (killed until empty).
 * - pidns: `unshare --pid --fork --kill-child` (root only): the spawn is its
 *   namespace's pid 1, and the kernel kills the rest when it exits.
 * - group: none of these: the process group and the run marker in the
 *   environment (orphans.ts). A process that leaves both escapes; the run
 *   says so once, as a warning, and so does `proofloop doctor`.
 * The child enters its cgroup before it runs anything of its own: a shell
 * writes its pid into cgroup.procs, then execs the command (same pid).
 * Sandboxed agents are contained twice: bwrap's pid namespace (--unshare-pid,
 * --die-with-parent) ends with the agent, and the cgroup holds bwrap.
 */
import {spawnSync} from 'node:child_process';
import {existsSync, mkdirSync, readFileSync, writeFileSync} from 'node:fs';
import path from 'node:path';
import {killTree, removeTree, sweepAbandoned, type Hierarchy} from './cgroup-tree.js';
import {findOnPath} from '../lib/which.js';

export const CONTAINMENT_KINDS = ['cgroup2', 'cgroup1', 'pidns', 'group'] as const;
export type ContainmentKind = (typeof CONTAINMENT_KINDS)[number];

export type ContainmentMode =
	| {
			kind: 'cgroup2' | 'cgroup1';
			/** Where this engine's cgroups go: <base>/proofloop/<run>/<ticket>/<spawn>. */ base: string;
			hierarchy: 'unified' | 'freezer' | 'pids';
	  }
	| {kind: 'pidns'; unshare: string}
	| {kind: 'group'; reason: string};

export const ESCAPE_WARNING =
	'no per-attempt containment here (no writable cgroup, no pid namespace): a process an agent or check starts that leaves its process group and environment ' +
	'(setsid env -i) can outlive its attempt';

/** One line for events, the report and doctor. */
export function describeContainment(mode: ContainmentMode): string {
	if ('base' in mode) return `${mode.kind} (${mode.hierarchy}: ${mode.base}/proofloop)`;
	if ('unshare' in mode) return 'pidns (unshare --pid --kill-child)';
	return `group (process group + run marker only: ${mode.reason})`;
}

type Mount = {point: string; fstype: string; superOptions: string[]};

function mounts(): Mount[] {
	try {
		return readFileSync('/proc/self/mountinfo', 'utf8')
			.split('\n')
			.flatMap(line => {
				const [left, right] = line.split(' - ');
				if (!left || !right) return [];
				const point = (left.split(' ')[4] ?? '').replace(/\\(\d{3})/g, (_, oct: string) => String.fromCharCode(Number.parseInt(oct, 8)));
				const [fstype = '', , options = ''] = right.split(' ');
				return [{point, fstype, superOptions: options.split(',')}];
			});
	} catch {
		return [];
	}
}

/** This process's cgroup path in the v2 tree ('' key) or a v1 hierarchy (by controller). */
function ownCgroup(controller: string): string | undefined {
	try {
		for (const line of readFileSync('/proc/self/cgroup', 'utf8').split('\n')) {
			const [, controllers, p] = /^\d+:([^:]*):(.*)$/.exec(line) ?? [];
			if (p === undefined) continue;
			if (controller === '' ? controllers === '' : controllers!.split(',').includes(controller)) return p;
		}
	} catch {
		// No /proc: no cgroups.
	}
	return undefined;
}

/** Whether a child process can be moved into a fresh cgroup under `base` (then removes it). */
function canUse(base: string, hierarchy: Hierarchy): boolean {
	const probe = path.join(base, 'proofloop', `probe-${process.pid}`);
	try {
		mkdirSync(probe, {recursive: true});
		if (hierarchy === 'unified' && !existsSync(path.join(probe, 'cgroup.kill')) && !existsSync(path.join(probe, 'cgroup.freeze'))) return false;
		const moved = spawnSync('/bin/sh', ['-c', 'echo $$ > "$0/cgroup.procs"', probe], {stdio: 'ignore', timeout: 10_000});
		return moved.status === 0;
	} catch {
		return false;
	} finally {
		removeTree(probe);
	}
}

const findUnshare = (): string | undefined => findOnPath('unshare', process.env['PATH'] ?? '/usr/bin:/bin');

let probed: ContainmentMode | undefined;

/**
 * The best containment this machine allows, probed once per process.
 * PROOFLOOP_CONTAINMENT=<kind> asks for one kind (or `group` to opt out): if
 * it does not work here the answer is `group`, with the reason.
 */
export function probeContainment(env: Record<string, string | undefined> = process.env): ContainmentMode {
	const wanted = env['PROOFLOOP_CONTAINMENT'];
	if (!wanted && probed) return probed;
	const allowed = (kind: ContainmentKind) => !wanted || wanted === kind;
	const found = ((): ContainmentMode => {
		const all = mounts();
		if (allowed('cgroup2')) {
			const own = ownCgroup('');
			for (const m of all.filter(m => m.fstype === 'cgroup2')) {
				if (own === undefined) break;
				const base = path.join(m.point, own);
				if (canUse(base, 'unified')) return {kind: 'cgroup2', base, hierarchy: 'unified'};
			}
		}
		if (allowed('cgroup1')) {
			for (const hierarchy of ['freezer', 'pids'] as const) {
				const m = all.find(m => m.fstype === 'cgroup' && m.superOptions.includes(hierarchy));
				const own = ownCgroup(hierarchy);
				if (!m || own === undefined) continue;
				const base = path.join(m.point, own);
				if (canUse(base, hierarchy)) return {kind: 'cgroup1', base, hierarchy};
			}
		}
		// Root only: unprivileged it needs a user namespace that maps the agent to root, which some CLIs refuse.
		if (allowed('pidns') && process.getuid?.() === 0) {
			const unshare = findUnshare();
			if (unshare && spawnSync(unshare, ['--pid', '--fork', '--kill-child', '--', 'true'], {stdio: 'ignore', timeout: 10_000}).status === 0)
				return {kind: 'pidns', unshare};
		}
		return {
			kind: 'group',
			reason:
				wanted && wanted !== 'group'
					? `PROOFLOOP_CONTAINMENT=${wanted} does not work here`
					: wanted
						? 'PROOFLOOP_CONTAINMENT=group'
						: 'no writable cgroup and no pid namespace',
		};
	})();
	if (!wanted) probed = found;
	return found;
}

/** A run's or ticket's name as one cgroup directory name. */
const segment = (name: string): string => name.replace(/[^A-Za-z0-9._-]/g, '_').replace(/^\.+/, '_') || '_';
/** The directory name a run's cgroups go under (…/proofloop/<this>/…), as /proc/<pid>/cgroup shows it. */
export const runCgroupName = segment;

const runs = new Map<string, ContainmentMode>();

/** Whether every spawn of run `runId` ends whole with its leader (a cgroup or a pid namespace per spawn), not just its group. */
export function spawnsEndWhole(runId: string): boolean {
	const kind = runs.get(runId)?.kind;
	return kind !== undefined && kind !== 'group';
}

function runCgroup(mode: ContainmentMode, runId: string): string | undefined {
	return 'base' in mode ? path.join(mode.base, 'proofloop', segment(runId)) : undefined;
}

/**
 * Use `mode` for every spawn of run `runId` from now on (spawns find it by the
 * run marker in their environment), and kill what a crashed engine of this
 * run left in its cgroups: those recorded in `recordFile` from a previous
 * start, and the current ones. Never another run's.
 */
export function containRun(runId: string, mode: ContainmentMode, recordFile: string): number[] {
	runs.set(runId, mode);
	const killed: number[] = [];
	try {
		const previous = JSON.parse(readFileSync(recordFile, 'utf8')) as {cgroup?: string};
		// Only a directory that is this run's (the record is ours, but a file on disk is checked anyway).
		if (previous.cgroup && path.basename(previous.cgroup) === segment(runId) && path.basename(path.dirname(previous.cgroup)) === 'proofloop') {
			killed.push(...killTree(previous.cgroup, mode.kind === 'cgroup1' ? mode.hierarchy : 'unified'));
		}
	} catch {
		// No record: a fresh run.
	}
	killed.push(...killContained(runId));
	if ('base' in mode) sweepAbandoned(path.join(mode.base, 'proofloop'));
	try {
		writeFileSync(recordFile, JSON.stringify({kind: mode.kind, cgroup: runCgroup(mode, runId)}) + '\n');
	} catch {
		// The record only helps a later resume find a different base; the current one is always searched.
	}
	return killed;
}

export type Command = {file: string; args: string[]};
export type Contained = {command: Command; /** Kill everything the spawn started and remove its cgroup; safe to call again. */ end: () => number[]};

let spawns = 0;

/**
 * Start contained: `command` rewritten so that it, and everything it starts,
 * belongs to one new container of its run (named by PROOFLOOP_RUN_ID and
 * PROOFLOOP_TICKET in `env`). A spawn of no contained run is left as it is.
 */
export function contain(env: Record<string, string | undefined>, command: Command): Contained {
	const runId = env['PROOFLOOP_RUN_ID'];
	const mode = runId === undefined ? undefined : runs.get(runId);
	const none: Contained = {command, end: () => []};
	if (!mode || !runId) return none;
	if ('unshare' in mode) return {command: {file: mode.unshare, args: ['--pid', '--fork', '--kill-child', '--', command.file, ...command.args]}, end: () => []};
	const run = runCgroup(mode, runId);
	if (!run) return none;
	const dir = path.join(run, segment(env['PROOFLOOP_TICKET'] ?? 'run'), `${process.pid}-${++spawns}`);
	// Twice: another engine's sweep may remove an empty parent between the levels of a recursive mkdir.
	try {
		mkdirSync(dir, {recursive: true});
	} catch {
		mkdirSync(dir, {recursive: true});
	}
	const hierarchy = mode.kind === 'cgroup1' ? mode.hierarchy : 'unified';
	let ended = false;
	return {
		command: {
			file: '/bin/sh',
			// Fails closed: a command that could not be contained does not run.
			args: [
				'-c',
				'echo $$ > "$0/cgroup.procs" || { echo "proofloop: could not enter the cgroup $0" >&2; exit 126; }; exec "$@"',
				dir,
				command.file,
				...command.args,
			],
		},
		end: () => {
			if (ended) return [];
			ended = true;
			return killTree(dir, hierarchy);
		},
	};
}

/** Kill everything in the run's (or one ticket's) cgroups and remove them. */
export function killContained(runId: string, ticket?: string): number[] {
	const mode = runs.get(runId);
	const run = mode && runCgroup(mode, runId);
	if (!mode || !run) return [];
	const dir = ticket === undefined ? run : path.join(run, segment(ticket));
	return killTree(dir, mode.kind === 'cgroup1' ? mode.hierarchy : 'unified');
}
