import {afterEach, describe, expect, it} from 'vitest';
import {openRepo} from '../../../source/git/index.js';
import {LEDGER_REF, LedgerMovedError, ledgerMovedBySomeoneElse, watchLedger, type LedgerRecord} from '../../../source/git/ledger.js';
import {cleanup, git, makeRepo} from './helpers.js';

afterEach(cleanup);

const merge = (ticket: string): LedgerRecord => ({
	ticket,
	attempt: 1,
	merge: 'a'.repeat(40),
	verify_digest: `sha256:${'ab'.repeat(32)}`,
	run: 'r1',
	at: '2026-01-01T00:00:00.000Z',
});
const at = '2026-01-01T00:00:00.000Z';

describe("a person's gates in the merge queue's ledger", () => {
	it('go to gates.jsonl beside merges.jsonl, in the same commits, under the same lock; the latest record per ticket is the one that counts', async () => {
		const dir = makeRepo();
		const repo = await openRepo(dir);
		expect(await repo.latestGate('T-2')).toBeUndefined();
		await Promise.all([repo.recordMerge(merge('T-1')), repo.recordGate({kind: 'gate', ticket: 'T-2', by: 'alice', reason: 'needs a login', at, run: 'r1'})]);
		await repo.recordGate({kind: 'gate', ticket: 'T-3', by: 'alice', reason: 'legal', at, run: 'r1'});
		await repo.recordGate({kind: 'ungate', ticket: 'T-3', by: 'bob', at, run: 'r1'});
		await repo.recordMerge(merge('T-4'));
		// A merge appended after the gates keeps them; a gate keeps the merges.
		expect(
			git(dir, 'show', `${LEDGER_REF}:merges.jsonl`)
				.split('\n')
				.map(line => (JSON.parse(line) as LedgerRecord).ticket),
		).toEqual(['T-1', 'T-4']);
		const gates = git(dir, 'show', `${LEDGER_REF}:gates.jsonl`)
			.split('\n')
			.map(line => JSON.parse(line) as {kind: string; ticket: string});
		expect(gates.map(g => `${g.kind} ${g.ticket}`)).toEqual(['gate T-2', 'gate T-3', 'ungate T-3']);
		expect(git(dir, 'rev-list', '--count', LEDGER_REF)).toBe('5');
		expect(await repo.latestGate('T-2')).toMatchObject({kind: 'gate', by: 'alice', reason: 'needs a login'});
		expect(await repo.latestGate('T-3')).toMatchObject({kind: 'ungate', by: 'bob'});
	});

	it("a gate is the engine's own move (no foreign-move alarm), and nothing is gated on top of a ledger someone else moved", async () => {
		const dir = makeRepo();
		const repo = await openRepo(dir);
		await watchLedger(dir);
		await repo.recordGate({kind: 'gate', ticket: 'T-1', by: 'alice', reason: 'why', at, run: 'r1'});
		expect(await ledgerMovedBySomeoneElse(dir)).toBeUndefined();
		git(dir, 'update-ref', LEDGER_REF, git(dir, 'commit-tree', `${LEDGER_REF}^{tree}`, '-p', LEDGER_REF, '-m', 'forged'));
		expect(await ledgerMovedBySomeoneElse(dir)).toBeDefined();
		await expect(repo.recordGate({kind: 'gate', ticket: 'T-2', by: 'mallory', reason: 'x', at, run: 'r1'})).rejects.toBeInstanceOf(LedgerMovedError);
	});
});
