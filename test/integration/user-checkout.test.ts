import {execFileSync} from 'node:child_process';
import {appendFileSync, existsSync, readFileSync, writeFileSync} from 'node:fs';
import path from 'node:path';
import {setTimeout as sleep} from 'node:timers/promises';
import {describe, expect, it} from 'vitest';
import {listRuns} from '../../source/core/run-dir.js';
import {makeRepo, runCli, runEvents, trailerCount} from '../helpers/repo.js';

const git = (cwd: string, ...args: string[]) => execFileSync('git', args, {cwd, encoding: 'utf8'});
/** The person's view, without the tracker files the engine itself writes in the checkout. */
const theirDiff = (root: string, ...flags: string[]) => git(root, 'diff', ...flags, '--', '.', ':(exclude).proofloop/tickets');

// The person's checkout is theirs: a run never stages anything there and never leaves a merge reversed in it.
describe("the person's checkout of base", () => {
	it('with uncommitted changes to tracked files is refused before anything is written, listing the files and the fixes; edits to the tickets alone are not refused', async () => {
		const {root, plan} = makeRepo({tickets: [{id: 'A'}]});
		writeFileSync(path.join(root, 'README.md'), '# test repo\n\nmy notes\n');
		git(root, 'mv', '.gitignore', '.gitignore-renamed');
		const ticket = path.join(root, '.proofloop/tickets/A.md');
		writeFileSync(ticket, readFileSync(ticket, 'utf8') + 'More detail, written by a person.\n');
		const before = git(root, 'status', '--porcelain');
		const refused = await runCli(root, ['run', '--headless'], {FAKE_AGENT_PLAN: plan});
		expect(refused.exitCode).toBe(2);
		expect(refused.stderr).toContain(`your checkout has 'main' checked out with uncommitted changes`);
		expect(refused.stderr).toContain(`  ${root}:\n`);
		expect(refused.stderr).toMatch(/^ {4} M README\.md$/m);
		expect(refused.stderr).toMatch(/^ {4}R {2}\.gitignore-renamed$/m);
		expect(refused.stderr).not.toContain('tickets/A.md');
		expect(refused.stderr).toMatch(/fix: commit them .*stash them .*check out another branch .*--allow-dirty/s);
		// Nothing written: no run directory, no lock, the checkout byte for byte.
		expect(existsSync(path.join(root, '.proofloop/runs'))).toBe(false);
		expect(git(root, 'status', '--porcelain')).toBe(before);
		expect(git(root, 'worktree', 'list', '--porcelain').match(/^worktree /gm)).toHaveLength(1);

		// The person commits their own changes; the edited ticket alone is no reason to refuse.
		git(root, 'commit', '-q', '-m', 'mine', '--', 'README.md', '.gitignore', '.gitignore-renamed');
		const ran = await runCli(root, ['run', '--headless'], {FAKE_AGENT_PLAN: plan});
		expect(ran.exitCode, ran.stderr).toBe(0);
		expect(readFileSync(ticket, 'utf8')).toContain('More detail, written by a person.');
	}, 180_000);

	it('--allow-dirty, edits made before and during the run: the checkout follows every merge with exactly those edits on top, nothing staged, and the report says so', async () => {
		const {root, plan} = makeRepo({tickets: [{id: 'A'}, {id: 'B', deps: ['A']}], plan: {_sleepMs: 1500}});
		writeFileSync(path.join(root, 'notes.txt'), 'line 1\n');
		git(root, 'add', 'notes.txt');
		git(root, 'commit', '-q', '-m', 'notes');
		writeFileSync(path.join(root, 'README.md'), '# test repo\n\nedited before the run\n');
		const run = runCli(root, ['run', '--headless', '--allow-dirty'], {FAKE_AGENT_PLAN: plan});
		// During the run: after A's merge moved main under the checkout, before B's.
		while (!(listRuns(root).length > 0 && runEvents(root).some(e => e.type === 'merge.done' && e.ticket === 'A'))) await sleep(50);
		appendFileSync(path.join(root, 'notes.txt'), 'edited during the run\n');
		const result = await run;
		expect(result.exitCode, result.stdout + result.stderr).toBe(0);

		expect(git(root, 'symbolic-ref', 'HEAD').trim()).toBe('refs/heads/main');
		expect(git(root, 'diff', '--cached')).toBe('');
		// Exactly their two edits over the new base, which holds both merges.
		expect(theirDiff(root, '--name-only').trim().split('\n')).toEqual(['README.md', 'notes.txt']);
		expect(git(root, 'show', 'HEAD:README.md')).toBe('# test repo\n');
		expect(readFileSync(path.join(root, 'README.md'), 'utf8')).toBe('# test repo\n\nedited before the run\n');
		expect(readFileSync(path.join(root, 'notes.txt'), 'utf8')).toBe('line 1\nedited during the run\n');
		expect([await trailerCount(root, 'A'), await trailerCount(root, 'B')]).toEqual([1, 1]);
		expect(readFileSync(path.join(root, 'work/B.txt'), 'utf8')).toMatch(/done by attempt 1/);
		const report = readFileSync(path.join(listRuns(root)[0]!.dir, 'report.md'), 'utf8');
		expect(report).toMatch(/Your checkout:.*started with --allow-dirty over your uncommitted changes in .* \( M README\.md\)/);
		expect(report).not.toMatch(/NOT brought up/);
	}, 180_000);
});
