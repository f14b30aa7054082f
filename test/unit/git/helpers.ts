// Real git repositories in temp dirs for the git layer's tests: no mocks,
// because the behaviour under test is git's (locks, CAS, worktree metadata).
import {execFileSync} from 'node:child_process';
import {mkdtempSync, realpathSync, rmSync, writeFileSync, mkdirSync} from 'node:fs';
import {tmpdir} from 'node:os';
import path from 'node:path';
import {afterAll} from 'vitest';

// Hermetic git: no user/system config (so the identity fallback is testable
// and nobody's hooks or signing settings leak in), and no repo-locating
// variables inherited from a git hook that might be running the suite.
for (const key of ['GIT_DIR', 'GIT_WORK_TREE', 'GIT_INDEX_FILE', 'GIT_COMMON_DIR', 'GIT_OBJECT_DIRECTORY', 'GIT_PREFIX']) {
	delete process.env[key];
}
const configHome = mkdtempSync(path.join(tmpdir(), 'proofloop-gitconfig-'));
writeFileSync(path.join(configHome, 'gitconfig'), '');
process.env.GIT_CONFIG_GLOBAL = path.join(configHome, 'gitconfig');
process.env.GIT_CONFIG_NOSYSTEM = '1';
// Registered from here so every test file importing the helpers cleans up.
afterAll(() => rmSync(configHome, {recursive: true, force: true}));

export function git(cwd: string, ...args: string[]): string {
	return execFileSync('git', args, {cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe']}).trim();
}

export function write(dir: string, file: string, text: string): void {
	mkdirSync(path.dirname(path.join(dir, file)), {recursive: true});
	writeFileSync(path.join(dir, file), text);
}

/** Writes files and commits them on whatever is checked out in `dir`. */
export function commitFiles(dir: string, files: Record<string, string>, message = 'change'): string {
	for (const [file, text] of Object.entries(files)) write(dir, file, text);
	git(dir, 'add', '-A');
	git(dir, 'commit', '-q', '-m', message);
	return git(dir, 'rev-parse', 'HEAD');
}

const made: string[] = [];

/** A fresh repository on `main` with one commit; `identity: false` leaves user.name/email unset. */
export function makeRepo(opts: {identity?: boolean; files?: Record<string, string>} = {}): string {
	const dir = realpathSync(mkdtempSync(path.join(tmpdir(), 'proofloop-git-')));
	made.push(dir);
	git(dir, 'init', '-q', '-b', 'main');
	if (opts.identity !== false) {
		git(dir, 'config', 'user.name', 'Test User');
		git(dir, 'config', 'user.email', 'test@example.com');
	}
	for (const [file, text] of Object.entries(opts.files ?? {'README.md': 'hello\n', 'src/a.txt': 'a1\na2\na3\n'})) write(dir, file, text);
	git(dir, 'add', '-A');
	if (opts.identity === false) {
		git(dir, '-c', 'user.name=Seed', '-c', 'user.email=seed@example.com', 'commit', '-q', '-m', 'init');
	} else {
		git(dir, 'commit', '-q', '-m', 'init');
	}
	return dir;
}

/** A temp dir that is not a repository. */
export function makeDir(): string {
	const dir = realpathSync(mkdtempSync(path.join(tmpdir(), 'proofloop-plain-')));
	made.push(dir);
	return dir;
}

export function cleanup(): void {
	for (const dir of made.splice(0)) rmSync(dir, {recursive: true, force: true});
}

/** "git status --porcelain" as a list of lines (empty = clean). */
export function status(dir: string): string[] {
	const out = execFileSync('git', ['status', '--porcelain'], {cwd: dir, encoding: 'utf8'});
	return out.split('\n').filter(Boolean);
}
