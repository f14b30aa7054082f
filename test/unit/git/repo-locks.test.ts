// A merge into base waits only for other writers of base (#14): not behind a
// checkout's removal, nor behind a ledger record, which touch none of its files.
import {chmodSync, mkdirSync, writeFileSync} from 'node:fs';
import {execFileSync} from 'node:child_process';
import path from 'node:path';
import {afterEach, describe, expect, it, onTestFinished} from 'vitest';
import {openRepo, type Repo} from '../../../source/git/index.js';
import {cleanup, git, makeRepo, write} from './helpers.js';

afterEach(cleanup);

async function work(repo: Repo, id: string, files: Record<string, string>): Promise<string> {
	const {path: wt} = await repo.prepareWorktree(id, 'main');
	for (const [file, text] of Object.entries(files)) write(wt, file, text);
	const sha = await repo.commitAll(wt, `${id}: work`);
	if (!sha) throw new Error('nothing committed');
	return sha;
}

/** A `git` first on PATH that takes `seconds` longer for calls whose arguments match `slow` (a shell pattern). */
function slowGit(dir: string, slow: string, seconds: number): void {
	const bin = path.join(dir, '.git', 'test-bin');
	mkdirSync(bin, {recursive: true});
	const real = execFileSync('sh', ['-c', 'command -v git'], {encoding: 'utf8'}).trim();
	writeFileSync(path.join(bin, 'git'), `#!/bin/sh\ncase "$*" in ${slow}) sleep ${seconds};; esac\nexec '${real}' "$@"\n`);
	chmodSync(path.join(bin, 'git'), 0o755);
	const before = process.env['PATH'];
	process.env['PATH'] = `${bin}:${before ?? ''}`;
	onTestFinished(() => {
		process.env['PATH'] = before;
	});
}

/** Which of the two settles first. */
const first = (a: Promise<unknown>, b: Promise<unknown>): Promise<'a' | 'b'> => Promise.race([a.then(() => 'a' as const), b.then(() => 'b' as const)]);

describe("the repository's locks", () => {
	it('a merge does not wait for a checkout being removed', async () => {
		const dir = makeRepo();
		const repo = await openRepo(dir);
		await work(repo, 'T-1', {'one.txt': '1\n'});
		await work(repo, 'T-2', {'two.txt': '2\n'});
		slowGit(dir, '*worktree\\ remove*', 4);
		const removal = repo.removeWorktree('T-1');
		await new Promise(resolve => setTimeout(resolve, 200));
		const merge = repo.mergeToBase({ticketId: 'T-2', attempt: 1, title: 't', base: 'main'});
		expect(await first(merge, removal)).toBe('a');
		expect((await merge).kind).toBe('merged');
		await removal;
		expect(git(dir, 'branch', '--list', 'proofloop/T-1')).toBe('');
	}, 60_000);

	it('a merge does not wait for a ledger record', async () => {
		const dir = makeRepo();
		const repo = await openRepo(dir);
		await work(repo, 'T-1', {'one.txt': '1\n'});
		const merged = await repo.mergeToBase({ticketId: 'T-1', attempt: 1, title: 't', base: 'main'});
		if (merged.kind !== 'merged') throw new Error('not merged');
		await work(repo, 'T-2', {'two.txt': '2\n'});
		slowGit(dir, '*update-ref*proofloop-ledger*', 4);
		const at = new Date().toISOString();
		const record = repo.recordMerge({ticket: 'T-1', attempt: 1, merge: merged.sha, verify_digest: 'sha256:00', run: 'r', at});
		await new Promise(resolve => setTimeout(resolve, 200));
		const merge = repo.mergeToBase({ticketId: 'T-2', attempt: 1, title: 't', base: 'main'});
		expect(await first(merge, record)).toBe('a');
		expect((await merge).kind).toBe('merged');
		expect((await record).kind).toBe('appended');
	}, 60_000);
});
