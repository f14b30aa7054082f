import {execFileSync} from 'node:child_process';
import {existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import path from 'node:path';
import {deflateSync} from 'node:zlib';
import {describe, expect, it} from 'vitest';
import {agentObjectEnv, importAgentObjects} from '../../../source/agents/agent-objects.js';

const git = (cwd: string, args: string[], env: Record<string, string> = {}) =>
	execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@t', ...args], {cwd, encoding: 'utf8', env: {...process.env, ...env}}).trim();

/** A repo with one commit and a linked worktree, as an attempt has. */
function attemptRepo(name = 'pl-objects-') {
	const dir = mkdtempSync(path.join(tmpdir(), name));
	const root = path.join(dir, 'repo');
	mkdirSync(root);
	git(root, ['init', '-q', '-b', 'main']);
	writeFileSync(path.join(root, 'a.txt'), 'a\n');
	git(root, ['add', '-A']);
	git(root, ['commit', '-qm', 'a']);
	const worktree = path.join(dir, 'wt');
	git(root, ['worktree', 'add', '-q', '-b', 'proofloop/T', worktree]);
	const gitDir = git(worktree, ['rev-parse', '--path-format=absolute', '--git-dir']);
	const commonDir = path.join(root, '.git');
	return {root, worktree, gitDir, commonDir, env: agentObjectEnv(gitDir, commonDir)};
}

const objectFile = (commonDir: string, id: string) => path.join(commonDir, 'objects', id.slice(0, 2), id.slice(2));

describe("a sandboxed agent's own object store", () => {
	it("the agent's commit lands in its own store, not the shared one, and is taken in whole", async () => {
		const repo = attemptRepo();
		writeFileSync(path.join(repo.worktree, 'b.txt'), 'b\n');
		git(repo.worktree, ['add', '-A'], repo.env);
		git(repo.worktree, ['commit', '-qm', 'b'], repo.env);
		const head = git(repo.worktree, ['rev-parse', 'HEAD'], repo.env);
		expect(existsSync(objectFile(repo.commonDir, head))).toBe(false);
		const result = await importAgentObjects(repo.gitDir, repo.commonDir);
		expect(result).toEqual({imported: 3, refused: []});
		expect(git(repo.root, ['show', `${head}:b.txt`])).toBe('b');
		expect(git(repo.root, ['fsck', '--no-dangling'])).toBe('');
	});

	it('a repository whose path holds a colon still gives the agent its base (the alternate is C-quoted)', () => {
		const repo = attemptRepo('pl-objects:colon-');
		expect(git(repo.worktree, ['cat-file', '-t', 'main^{tree}'], repo.env)).toBe('tree');
		writeFileSync(path.join(repo.worktree, 'd.txt'), 'd\n');
		git(repo.worktree, ['add', '-A'], repo.env);
		git(repo.worktree, ['commit', '-qm', 'd'], repo.env);
	});

	it('an object whose bytes are not its id is refused, and one already in the store is never replaced', async () => {
		const repo = attemptRepo();
		const tree = git(repo.root, ['rev-parse', 'main^{tree}']);
		const original = readFileSync(objectFile(repo.commonDir, tree));
		const own = repo.env['GIT_OBJECT_DIRECTORY']!;
		// A forged object under base's tree id, and under a fresh id; then a real blob under its own id.
		const forged = deflateSync(Buffer.from('blob 6\0forged'));
		for (const id of [tree, 'e'.repeat(40)]) {
			mkdirSync(path.join(own, id.slice(0, 2)), {recursive: true});
			writeFileSync(path.join(own, id.slice(0, 2), id.slice(2)), forged);
		}
		const blob = git(repo.worktree, ['hash-object', '-w', '--stdin'], repo.env);
		const result = await importAgentObjects(repo.gitDir, repo.commonDir);
		expect(result.refused.sort()).toEqual([`${tree.slice(0, 2)}/${tree.slice(2)}`, `ee/${'e'.repeat(38)}`].sort());
		expect(result.imported).toBe(1);
		expect(existsSync(objectFile(repo.commonDir, blob))).toBe(true);
		expect(readFileSync(objectFile(repo.commonDir, tree))).toEqual(original);
		expect(existsSync(objectFile(repo.commonDir, 'e'.repeat(40)))).toBe(false);
		expect(existsSync(own)).toBe(false);
	});

	it('a pack the agent made (git gc) is unpacked into the store, object by object', async () => {
		const repo = attemptRepo();
		writeFileSync(path.join(repo.worktree, 'c.txt'), 'c\n');
		git(repo.worktree, ['add', '-A'], repo.env);
		git(repo.worktree, ['commit', '-qm', 'c'], repo.env);
		const head = git(repo.worktree, ['rev-parse', 'HEAD'], repo.env);
		// Everything reachable from the agent's head into one pack in its store, the loose copies gone.
		const pack = path.join(repo.env['GIT_OBJECT_DIRECTORY']!, 'pack');
		mkdirSync(pack, {recursive: true});
		execFileSync('git', ['pack-objects', '-q', '--revs', path.join(pack, 'pack')], {
			cwd: repo.worktree,
			input: `${head}\n^main\n`,
			env: {...process.env, ...repo.env},
		});
		git(repo.worktree, ['prune-packed'], repo.env);
		const result = await importAgentObjects(repo.gitDir, repo.commonDir);
		expect(result.refused).toEqual([]);
		expect(git(repo.root, ['show', `${head}:c.txt`])).toBe('c');
	});
});
