// The checks and the guard each ask where a head forked from base (#14): one
// `merge-base` serves both while base has not moved; a moved base asks again,
// and a tag named like base never answers for the branch.
import {chmodSync, mkdirSync, readFileSync, writeFileSync, existsSync} from 'node:fs';
import {execFileSync} from 'node:child_process';
import path from 'node:path';
import {afterEach, describe, expect, it, onTestFinished} from 'vitest';
import {forkPoint} from '../../../source/git/fork-point.js';
import {commonDir} from '../../../source/git/worktrees.js';
import {cleanup, commitFiles, git, makeRepo} from './helpers.js';

afterEach(cleanup);

/** A `git` first on PATH that logs each call's arguments, then runs the real one. */
function countingGit(dir: string): () => string[] {
	const bin = path.join(dir, '.git', 'test-bin');
	const log = path.join(dir, '.git', 'test-calls.log');
	mkdirSync(bin, {recursive: true});
	const real = execFileSync('sh', ['-c', 'command -v git'], {encoding: 'utf8'}).trim();
	writeFileSync(path.join(bin, 'git'), `#!/bin/sh\nprintf '%s\\n' "$*" >> '${log}'\nexec '${real}' "$@"\n`);
	chmodSync(path.join(bin, 'git'), 0o755);
	const before = process.env['PATH'];
	process.env['PATH'] = `${bin}:${before ?? ''}`;
	onTestFinished(() => {
		process.env['PATH'] = before;
	});
	return () =>
		existsSync(log)
			? readFileSync(log, 'utf8')
					.split('\n')
					.filter(line => line.startsWith('merge-base'))
			: [];
}

describe('the fork point of a head', () => {
	it('is asked of git once while base stays where it was, again once base moved, and always from refs/heads/<base>', async () => {
		const dir = makeRepo({files: {'a.txt': 'a\n'}});
		await commonDir(dir);
		const fork = git(dir, 'rev-parse', 'main');
		git(dir, 'checkout', '-q', '-b', 'topic');
		const head = commitFiles(dir, {'b.txt': 'b\n'});
		git(dir, 'checkout', '-q', 'main');
		const calls = countingGit(dir);

		expect(await forkPoint(dir, dir, 'main', head)).toBe(fork);
		expect(await forkPoint(dir, dir, 'main', head)).toBe(fork);
		expect(calls()).toHaveLength(1);

		// Base moved: the answer is git's again (the same here, as base only grew).
		commitFiles(dir, {'c.txt': 'c\n'});
		expect(await forkPoint(dir, dir, 'main', head)).toBe(fork);
		expect(calls()).toHaveLength(2);

		// A tag `main` at the head would make a bare `main` the head itself.
		git(dir, 'tag', 'main', head);
		expect(await forkPoint(dir, dir, 'main', head)).toBe(fork);
		expect(calls().every(call => call.includes('refs/heads/main'))).toBe(true);
	});

	it('is undefined when the head shares no history with base', async () => {
		const dir = makeRepo({files: {'a.txt': 'a\n'}});
		await commonDir(dir);
		git(dir, 'checkout', '-q', '--orphan', 'alone');
		const head = commitFiles(dir, {'z.txt': 'z\n'});
		expect(await forkPoint(dir, dir, 'main', head)).toBeUndefined();
	});
});
