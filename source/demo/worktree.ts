/**
 * The demo engine's hands in the worktree: paths a recipe may touch, git
 * commands, and the quoting of commands it shows.
 */
import {spawnSync} from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import {DemoFailure} from './recipe.js';

/** POSIX single quoting, for the commands we display. */
export const shq = (value: string): string => (/^[\w./-]+$/.test(value) ? value : `'${value.replaceAll("'", `'\\''`)}'`);

/**
 * A recipe path -> an absolute path inside the worktree, or a refusal. A demo
 * recipe is ticket text: it must not be able to touch anything outside its
 * worktree, nor git's own files, not even through a symlink.
 */
export function insideWorktree(root: string, relative: string): string {
	if (path.isAbsolute(relative)) throw new DemoFailure(`refused ${relative}: absolute paths are not allowed (paths are relative to the worktree)`);
	if (relative.split(/[\\/]+/).includes('..')) throw new DemoFailure(`refused ${relative}: ".." would leave the worktree`);
	const target = path.resolve(root, relative);
	const rel = path.relative(root, target);
	if (rel === '' || rel.startsWith('..') || path.isAbsolute(rel)) throw new DemoFailure(`refused ${relative}: not a file inside the worktree`);
	if (rel.split(path.sep)[0] === '.git') throw new DemoFailure(`refused ${relative}: .git belongs to git`);
	// Follow every existing component that is a symlink: its target must stay inside too.
	let probe = root;
	for (const part of rel.split(path.sep)) {
		probe = path.join(probe, part);
		const stat = fs.lstatSync(probe, {throwIfNoEntry: false});
		if (!stat) break;
		if (!stat.isSymbolicLink()) continue;
		let real: string;
		try {
			real = fs.realpathSync(probe);
		} catch {
			throw new DemoFailure(`refused ${relative}: ${path.relative(root, probe)} is a dangling symlink`);
		}
		const realRel = path.relative(root, real);
		if (realRel === '' || realRel.startsWith('..') || path.isAbsolute(realRel)) {
			throw new DemoFailure(`refused ${relative}: ${path.relative(root, probe)} links outside the worktree`);
		}
	}
	return target;
}

export function git(cwd: string, args: string[], env: NodeJS.ProcessEnv = process.env): string {
	const run = spawnSync('git', args, {cwd, env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe']});
	if (run.error) throw run.error;
	if (run.status !== 0) throw new Error(`git ${args[0]}: ${(run.stderr || run.stdout).trim() || `exit code ${run.status}`}`);
	return run.stdout;
}

/** A user's own identity when git has one; a clearly-labelled stand-in otherwise. */
export function commitEnv(cwd: string): NodeJS.ProcessEnv {
	const has = (key: string): boolean => spawnSync('git', ['config', key], {cwd, stdio: 'ignore'}).status === 0;
	const env = {...process.env};
	if (!has('user.name')) env['GIT_AUTHOR_NAME'] = env['GIT_COMMITTER_NAME'] = 'proofloop demo';
	if (!has('user.email')) env['GIT_AUTHOR_EMAIL'] = env['GIT_COMMITTER_EMAIL'] = 'demo@proofloop.invalid';
	return env;
}
