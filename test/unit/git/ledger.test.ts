import {execFileSync} from 'node:child_process';
import {renameSync, writeFileSync} from 'node:fs';
import {join} from 'node:path';
import {deflateSync} from 'node:zlib';
import {afterEach, describe, expect, it} from 'vitest';
import {openRepo} from '../../../source/git/index.js';
import {
	appendLedger,
	LEDGER_REF,
	LedgerMovedError,
	ledgerMovedBySomeoneElse,
	REMOTE_LEDGER_REF,
	watchLedger,
	type LedgerRecord,
} from '../../../source/git/ledger.js';
import {cleanup, git, makeRepo} from './helpers.js';

afterEach(cleanup);

const sha = (c: string) => c.repeat(40);
const record = (ticket: string, merge: string, attempt = 1): LedgerRecord => ({
	ticket,
	attempt,
	merge,
	verify_digest: `sha256:${'ab'.repeat(32)}`,
	run: 'r1',
	at: '2026-01-01T00:00:00.000Z',
});
const lines = (dir: string, ref = LEDGER_REF) =>
	git(dir, 'show', `${ref}:merges.jsonl`)
		.split('\n')
		.map(line => JSON.parse(line) as LedgerRecord);

// Another writer of the ledger, with plumbing, as an agent running as the user could.
function foreignCommit(dir: string, ref: string, text: string): string {
	const blob = execFileSync('git', ['hash-object', '-w', '--stdin'], {cwd: dir, input: text, encoding: 'utf8'}).trim();
	const tree = execFileSync('git', ['mktree'], {cwd: dir, input: `100644 blob ${blob}\tmerges.jsonl\n`, encoding: 'utf8'}).trim();
	const commit = git(dir, 'commit-tree', tree, '-m', 'forged');
	git(dir, 'update-ref', ref, commit);
	return commit;
}

describe("the merge queue's ledger", () => {
	it('appends one line per record on its own branch, never twice for the same ticket, merge and digest (a resume redoing it)', async () => {
		const dir = makeRepo();
		const main = git(dir, 'rev-parse', 'main');
		expect((await appendLedger(dir, record('T-1', sha('a')))).kind).toBe('appended');
		expect((await appendLedger(dir, record('T-2', sha('b')))).kind).toBe('appended');
		expect((await appendLedger(dir, {...record('T-1', sha('a')), at: 'later', run: 'r2'})).kind).toBe('present');
		expect(lines(dir).map(r => r.ticket)).toEqual(['T-1', 'T-2']);
		expect(git(dir, 'rev-list', '--count', LEDGER_REF)).toBe('2');
		// Base and the checkout are untouched: plumbing only.
		expect(git(dir, 'rev-parse', 'main')).toBe(main);
		expect(git(dir, 'status', '--porcelain')).toBe('');
	});

	it('concurrent appends through the repo lock lose nothing', async () => {
		const dir = makeRepo();
		const repo = await openRepo(dir);
		await Promise.all(['1', '2', '3', '4', '5'].map(n => repo.recordMerge(record(`T-${n}`, sha(n)))));
		expect(
			lines(dir)
				.map(r => r.ticket)
				.sort(),
		).toEqual(['T-1', 'T-2', 'T-3', 'T-4', 'T-5']);
	});

	it("a fresh clone continues origin's ledger", async () => {
		const dir = makeRepo();
		const remote = foreignCommit(dir, REMOTE_LEDGER_REF, `${JSON.stringify(record('T-1', sha('a')))}\n`);
		await appendLedger(dir, record('T-2', sha('b')));
		expect(lines(dir).map(r => r.ticket)).toEqual(['T-1', 'T-2']);
		expect(git(dir, 'rev-parse', `${LEDGER_REF}^`)).toBe(remote);
	});

	it('a move of the branch by anyone else is noticed, and nothing is appended on top of it', async () => {
		const dir = makeRepo();
		await watchLedger(dir);
		expect(await ledgerMovedBySomeoneElse(dir)).toBeUndefined();
		await appendLedger(dir, record('T-1', sha('a')));
		expect(await ledgerMovedBySomeoneElse(dir)).toBeUndefined();
		const forged = foreignCommit(dir, LEDGER_REF, `${JSON.stringify(record('T-9', sha('f')))}\n`);
		expect(await ledgerMovedBySomeoneElse(dir)).toBe(forged);
		await expect(appendLedger(dir, record('T-2', sha('b')))).rejects.toBeInstanceOf(LedgerMovedError);
		expect(git(dir, 'rev-parse', LEDGER_REF)).toBe(forged);
	});

	it('a merges.jsonl rewritten under its old id is refused, never carried into the next ledger commit with a true id', async () => {
		const dir = makeRepo();
		// Written by an earlier engine process: this one holds no copy of the text and must read it.
		foreignCommit(dir, LEDGER_REF, `${JSON.stringify(record('T-1', sha('a')))}\n`);
		const blob = git(dir, 'rev-parse', `${LEDGER_REF}:merges.jsonl`);
		const forged = `${git(dir, 'cat-file', 'blob', blob)}\n${JSON.stringify(record('T-9', sha('9')))}\n`;
		const file = join(dir, '.git', 'objects', blob.slice(0, 2), blob.slice(2));
		writeFileSync(`${file}.new`, deflateSync(Buffer.from(`blob ${Buffer.byteLength(forged)}\0${forged}`)));
		renameSync(`${file}.new`, file);
		const tip = git(dir, 'rev-parse', LEDGER_REF);
		await expect(appendLedger(dir, record('T-2', sha('b')))).rejects.toThrow(/corrupt or forged: the ledger's merges.jsonl .*git fsck/);
		expect(git(dir, 'rev-parse', LEDGER_REF)).toBe(tip);
	});
});
