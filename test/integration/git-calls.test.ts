// The engine's own git processes per ticket (#14), counted by a `git` on PATH
// that logs every call and runs the real one: what cannot change within a run
// (identity, gpgSign, the worktree list for the sync) is read once, not per ticket.
import {execFileSync} from 'node:child_process';
import {chmodSync, mkdirSync, readFileSync, writeFileSync} from 'node:fs';
import path from 'node:path';
import {describe, expect, it} from 'vitest';
import {makeRepo, runCli} from '../helpers/repo.js';

type Call = {ticket: string; cwd: string; args: string};

function gitOnPath(io: string): {bin: string; calls: () => Call[]} {
	const bin = path.join(io, 'bin');
	const log = path.join(io, 'git-calls.log');
	mkdirSync(bin);
	const real = execFileSync('sh', ['-c', 'command -v git'], {encoding: 'utf8'}).trim();
	// One short line per call, appended (O_APPEND): concurrent calls do not tear it. Agents and checks carry PROOFLOOP_TICKET.
	writeFileSync(path.join(bin, 'git'), `#!/bin/sh\nprintf '%s\\t%s\\t%s\\n' "\${PROOFLOOP_TICKET:--}" "$PWD" "$*" >> '${log}'\nexec '${real}' "$@"\n`);
	chmodSync(path.join(bin, 'git'), 0o755);
	const calls = () =>
		readFileSync(log, 'utf8')
			.split('\n')
			.filter(Boolean)
			.map(line => {
				const [ticket = '', cwd = '', args = ''] = line.split('\t');
				return {ticket, cwd, args};
			});
	return {bin, calls};
}

describe("the engine's git processes", () => {
	it('per ticket stay few, and identity, gpgSign and the worktree list are read once per run, not per ticket', async () => {
		const tickets = ['A', 'B', 'C', 'D', 'E', 'F'];
		const {root, plan, io} = makeRepo({tickets: tickets.map(id => ({id})), config: {sandbox: 'none', concurrency: 1, attempts: 1}, plan: {_sleepMs: 0}});
		const {bin, calls} = gitOnPath(io);
		const result = await runCli(root, ['run', '--headless'], {FAKE_AGENT_PLAN: plan, PATH: `${bin}:${process.env['PATH'] ?? ''}`});
		expect(result.exitCode, result.stdout + result.stderr).toBe(0);
		// The repository's own calls: not the pinned oracle's self-test, which works in repositories of its own.
		const engine = calls().filter(call => call.ticket === '-' && (call.cwd === root || call.cwd.startsWith(`${root}/`)));
		const count = (pattern: RegExp) => engine.filter(call => pattern.test(call.args)).length;
		expect(count(/^config .*user/)).toBeLessThanOrEqual(1);
		expect(count(/^config .*commit\.gpgSign/)).toBeLessThanOrEqual(1);
		// At the start and the end, never after each merge.
		expect(count(/^worktree list/)).toBeLessThan(tickets.length);
		// The sync after each merge reads the tree once (it refreshes the stat data only when refused).
		expect(count(/^update-index -q --refresh/)).toBeLessThanOrEqual(1);
		// Each ticket's branch is read once, for the commit the finish line judges; after the checks (they must not
		// move it) the loose ref file still holding that commit answers.
		for (const id of tickets) expect(count(new RegExp(`^rev-parse .*refs/heads/proofloop/${id}\\^`))).toBeLessThanOrEqual(1);
		// The agents committed their work: one `status` finds nothing left to commit (no `add -A`, no `diff --cached`).
		expect(count(/^add -A/)).toBe(0);
		expect(engine.filter(call => call.cwd.includes('/.proofloop/worktrees/') && /status --porcelain/.test(call.args)).length).toBe(tickets.length);
		// The ledger's blob and tree are written by the engine (git/loose-object.ts): only its commit and ref update are git's.
		expect(count(/(^| )(hash-object|mktree)( |$)/)).toBe(0);
		// Base's file list is carried from a fork to the merge the engine made of a head that held it (core/base-trees.ts).
		expect(count(/^ls-tree -r -z --name-only/)).toBeLessThan(tickets.length);
		// The guard reads the branch's diff once (files and deletions together).
		expect(count(/^diff /)).toBe(tickets.length);
		// The base and ledger watch asks every second: a ref file still holding the tip answers it without git
		// (git is asked at the start, before the ledger's first record, and at the end).
		expect(count(/^rev-parse --verify --quiet refs\/heads\/(main|proofloop-ledger)\^/)).toBeLessThanOrEqual(10);
		// The rest per ticket (every part of the engine's), without what runs by the clock (the base and ledger watch, the live oracle's `git -C`).
		const byClock = /^(-C |rev-parse --verify --quiet refs\/(heads\/main|heads\/proofloop-ledger|remotes\/origin\/proofloop-ledger)\^)/;
		const rest = engine.filter(call => !byClock.test(call.args));
		expect(rest.length / tickets.length, rest.map(call => call.args.slice(0, 80)).join('\n')).toBeLessThanOrEqual(36);
	}, 180_000);
});
