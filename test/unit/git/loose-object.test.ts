// The ledger's blobs and trees written by the engine itself: the same ids and
// files git writes (git reads them, fsck finds nothing), in sha1 and sha256
// repositories; a shared repository is left to git.
import {execFileSync} from 'node:child_process';
import {readFileSync, realpathSync, mkdtempSync, statSync} from 'node:fs';
import {tmpdir} from 'node:os';
import path from 'node:path';
import {afterEach, describe, expect, it} from 'vitest';
import {appendLedger, LEDGER_REF} from '../../../source/git/ledger.js';
import {looseObjectStore, treeContent, writeLooseObject} from '../../../source/git/loose-object.js';
import {cleanup, git, makeRepo} from './helpers.js';

afterEach(cleanup);

const gitIn = (cwd: string, input: string, ...args: string[]) => execFileSync('git', args, {cwd, input, encoding: 'utf8'}).trim();

describe('loose objects the engine writes', () => {
	for (const format of ['sha1', 'sha256'] as const) {
		it(`a blob and a tree have git's ids and git reads them (${format})`, async () => {
			const root = realpathSync(mkdtempSync(path.join(tmpdir(), 'proofloop-loose-')));
			git(root, 'init', '-q', `--object-format=${format}`, '-b', 'main');
			const store = await looseObjectStore(root);
			expect(store?.format).toBe(format);
			const text = '{"ticket":"T-1","merge":"abc"}\n{"ticket":"T-2 é"}\n';
			const blob = await writeLooseObject(store!, 'blob', Buffer.from(text));
			expect(blob).toBe(gitIn(root, text, 'hash-object', '--stdin'));
			const gates = await writeLooseObject(store!, 'blob', Buffer.from('g\n'));
			// Given out of order: git's order is by name.
			const tree = await writeLooseObject(
				store!,
				'tree',
				treeContent([
					{name: 'merges.jsonl', oid: blob},
					{name: 'gates.jsonl', oid: gates},
				]),
			);
			expect(tree).toBe(gitIn(root, `100644 blob ${blob}\tmerges.jsonl\n100644 blob ${gates}\tgates.jsonl\n`, 'mktree'));
			expect(git(root, 'cat-file', '-p', `${tree}:merges.jsonl`)).toBe(text.trim());
			const file = path.join(root, '.git/objects', blob.slice(0, 2), blob.slice(2));
			expect(statSync(file).mode & 0o777).toBe(0o444);
			// Written again: the file there is kept as it is.
			const before = readFileSync(file);
			expect(await writeLooseObject(store!, 'blob', Buffer.from(text))).toBe(blob);
			expect(readFileSync(file).equals(before)).toBe(true);
			git(root, 'fsck', '--strict', '--no-dangling');
		});
	}

	it('a shared repository is left to git (its permissions are git to keep); the ledger still appends', async () => {
		const root = makeRepo();
		git(root, 'config', 'core.sharedRepository', 'group');
		expect(await looseObjectStore(root)).toBeUndefined();
		const merge = git(root, 'rev-parse', 'HEAD');
		await appendLedger(root, {ticket: 'T-1', attempt: 1, merge, verify_digest: `sha256:${'ab'.repeat(32)}`, run: 'r', at: '2026-01-01T00:00:00.000Z'});
		expect(git(root, 'show', `${LEDGER_REF}:merges.jsonl`)).toContain('"T-1"');
	});

	it('the ledger written this way is the same commit tree git would write', async () => {
		const root = makeRepo();
		const merge = git(root, 'rev-parse', 'HEAD');
		const record = {ticket: 'T-1', attempt: 1, merge, verify_digest: `sha256:${'ab'.repeat(32)}`, run: 'r', at: '2026-01-01T00:00:00.000Z'};
		await appendLedger(root, record);
		const tree = git(root, 'rev-parse', `${LEDGER_REF}^{tree}`);
		expect(tree).toBe(gitIn(root, `100644 blob ${gitIn(root, `${JSON.stringify(record)}\n`, 'hash-object', '--stdin')}\tmerges.jsonl\n`, 'mktree'));
		git(root, 'fsck', '--strict', '--no-dangling');
	});
});
