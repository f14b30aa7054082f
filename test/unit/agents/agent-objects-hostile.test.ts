import {execFileSync} from 'node:child_process';
import {chmodSync, createWriteStream, existsSync, mkdirSync, mkdtempSync, readdirSync, symlinkSync, writeFileSync} from 'node:fs';
import {once} from 'node:events';
import {pipeline} from 'node:stream/promises';
import {tmpdir} from 'node:os';
import path from 'node:path';
import {pathToFileURL} from 'node:url';
import {createHash} from 'node:crypto';
import {createDeflate, deflateSync} from 'node:zlib';
import {describe, expect, it} from 'vitest';
import {agentObjectEnv, importAgentObjects} from '../../../source/agents/agent-objects.js';

const git = (cwd: string, args: string[], env: Record<string, string> = {}) =>
	execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@t', ...args], {cwd, encoding: 'utf8', env: {...process.env, ...env}}).trim();

function attemptRepo() {
	const dir = mkdtempSync(path.join(tmpdir(), 'pl-objects-hostile-'));
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
	const env = agentObjectEnv(gitDir, commonDir);
	return {dir, root, worktree, gitDir, commonDir, env, own: env['GIT_OBJECT_DIRECTORY']!};
}

/** A loose object written by hand (as an agent can), under its true id. */
function plant(own: string, type: string, body: Buffer): string {
	const raw = Buffer.concat([Buffer.from(`${type} ${body.length}\0`), body]);
	const id = createHash('sha1').update(raw).digest('hex');
	mkdirSync(path.join(own, id.slice(0, 2)), {recursive: true});
	writeFileSync(path.join(own, id.slice(0, 2), id.slice(2)), deflateSync(raw));
	return id;
}

const inShared = (commonDir: string, id: string) => existsSync(path.join(commonDir, 'objects', id.slice(0, 2), id.slice(2)));

describe("a hostile agent's own object store", () => {
	it('a .pack that is a fifo does not hang the import (it is refused)', async () => {
		const repo = attemptRepo();
		mkdirSync(path.join(repo.own, 'pack'), {recursive: true});
		execFileSync('mkfifo', [path.join(repo.own, 'pack', 'pack-x.pack')]);
		const result = await Promise.race([importAgentObjects(repo.gitDir, repo.commonDir), new Promise(r => setTimeout(() => r('hung'), 8000))]);
		expect(result).not.toBe('hung');
	}, 20_000);

	it('a loose commit whose tree is not anywhere is refused: the shared store never holds a broken link', async () => {
		const repo = attemptRepo();
		const base = git(repo.root, ['rev-parse', 'main']);
		const body = Buffer.from(`tree ${'1'.repeat(40)}\nparent ${base}\nauthor a <a@a> 1 +0000\ncommitter a <a@a> 1 +0000\n\nx\n`);
		const commit = plant(repo.own, 'commit', body);
		const result = await importAgentObjects(repo.gitDir, repo.commonDir);
		expect(inShared(repo.commonDir, commit)).toBe(false);
		expect(result.refused.length).toBeGreaterThan(0);
	});

	it('a loose tree git itself refuses (an entry named .git) is refused', async () => {
		const repo = attemptRepo();
		const blob = git(repo.root, ['rev-parse', 'main:a.txt']);
		const body = Buffer.concat([Buffer.from('100644 .git\0'), Buffer.from(blob, 'hex')]);
		const tree = plant(repo.own, 'tree', body);
		const result = await importAgentObjects(repo.gitDir, repo.commonDir);
		expect(inShared(repo.commonDir, tree)).toBe(false);
		expect(result.refused.length).toBeGreaterThan(0);
	});

	it('agent-objects made a symlink to a directory elsewhere: nothing there is read in or deleted', async () => {
		const repo = attemptRepo();
		const elsewhere = path.join(repo.dir, 'elsewhere');
		mkdirSync(elsewhere);
		const blob = plant(elsewhere, 'blob', Buffer.from('from elsewhere\n'));
		execFileSync('rm', ['-rf', repo.own]);
		symlinkSync(elsewhere, repo.own);
		await importAgentObjects(repo.gitDir, repo.commonDir);
		expect(readdirSync(elsewhere)).toEqual([blob.slice(0, 2)]);
		expect(inShared(repo.commonDir, blob)).toBe(false);
	});
});

describe("an honest agent's objects in any order", () => {
	it('a pack that names a loose commit (a fetch onto it) goes in once the loose objects are in', async () => {
		const repo = attemptRepo();
		const commit = (name: string) => {
			writeFileSync(path.join(repo.worktree, name), `${name}\n`);
			git(repo.worktree, ['add', '-A'], repo.env);
			git(repo.worktree, ['commit', '-qm', name], repo.env);
			return git(repo.worktree, ['rev-parse', 'HEAD'], repo.env);
		};
		const first = commit('one.txt');
		const second = commit('two.txt');
		// The second commit's objects in a pack; the first's stay loose (the pack names the first as parent).
		const pack = path.join(repo.own, 'pack');
		mkdirSync(pack, {recursive: true});
		execFileSync('git', ['pack-objects', '-q', '--revs', path.join(pack, 'pack')], {
			cwd: repo.worktree,
			input: `${second}\n^${first}\n`,
			env: {...process.env, ...repo.env},
		});
		for (const id of git(repo.worktree, ['rev-list', '--objects', '--no-object-names', `${first}..${second}`], repo.env).split('\n')) {
			execFileSync('rm', ['-f', path.join(repo.own, id.slice(0, 2), id.slice(2))]);
		}
		const result = await importAgentObjects(repo.gitDir, repo.commonDir);
		expect(result.refused).toEqual([]);
		expect(git(repo.root, ['show', `${second}:two.txt`])).toBe('two.txt');
		expect(git(repo.root, ['fsck', '--no-dangling'])).toBe('');
	});
});

describe('a loose object that inflates to gigabytes', () => {
	it('is read as a stream and refused as soon as it holds more than its header says: the engine keeps running meanwhile', async () => {
		const repo = attemptRepo();
		const id = 'b'.repeat(40);
		mkdirSync(path.join(repo.own, 'bb'), {recursive: true});
		// "blob 5", then 2 GiB of zeros: about 2 MB on disk.
		const file = path.join(repo.own, 'bb', id.slice(2));
		const deflate = createDeflate({level: 1});
		const written = pipeline(deflate, createWriteStream(file));
		deflate.write(Buffer.from('blob 5\0'));
		const zeros = Buffer.alloc(1 << 20);
		for (let i = 0; i < 2048; i++) if (!deflate.write(zeros)) await once(deflate, 'drain');
		deflate.end();
		await written;
		let last = Date.now();
		let longest = 0;
		const ticker = setInterval(() => {
			longest = Math.max(longest, Date.now() - last);
			last = Date.now();
		}, 10);
		const result = await importAgentObjects(repo.gitDir, repo.commonDir);
		clearInterval(ticker);
		longest = Math.max(longest, Date.now() - last);
		expect(result.refused).toEqual([`bb/${id.slice(2)}`]);
		// The old whole-file inflate held the loop (and 2 GiB) for seconds.
		expect(longest).toBeLessThan(1000);
	}, 120_000);
});

describe('an agent store the agent made unreadable (chmod 000)', () => {
	it('is listed anyway by an engine that is not root, and its objects are taken in: the ticket is not wedged', () => {
		const repo = attemptRepo();
		const id = plant(repo.own, 'blob', Buffer.from('kept\n'));
		const fan = path.join(repo.own, id.slice(0, 2));
		mkdirSync(path.join(repo.own, 'info'));
		chmodSync(path.join(repo.own, 'info'), 0o000);
		chmodSync(fan, 0o000);
		// Root reads a 000 directory anyway: the import runs without root's powers over files (setpriv drops every
		// capability; the engine's uid still owns the store), as an engine run by an ordinary user does.
		const asUser = process.getuid?.() === 0 ? ['setpriv', '--bounding-set=-all', '--inh-caps=-all'] : [];
		const module = pathToFileURL(path.resolve('dist/source/agents/agent-objects.js')).href;
		const script = `const {importAgentObjects} = await import(${JSON.stringify(module)}); console.log(JSON.stringify(await importAgentObjects(process.argv[1], process.argv[2])));`;
		const [file, ...args] = [...asUser, process.execPath, '--input-type=module', '-e', script, repo.gitDir, repo.commonDir];
		const said = execFileSync(file!, args, {encoding: 'utf8'});
		expect(JSON.parse(said)).toMatchObject({imported: 1});
		expect(inShared(repo.commonDir, id)).toBe(true);
	});
});
