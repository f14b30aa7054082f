/**
 * A ticket with no `batch:` key, or another batch's, is never run: `run` and
 * `doctor` say which ones lie outside the batch and why.
 */
import {writeFileSync} from 'node:fs';
import path from 'node:path';
import {execa} from 'execa';
import {describe, expect, it} from 'vitest';
import {outsideBatch, outsideBatchNote} from '../../source/tracker/outside-batch.js';
import {makeRepo, runCli} from '../helpers/repo.js';

describe('tickets outside the batch', () => {
	it('run and doctor name them, grouped by why', async () => {
		const {root, plan} = makeRepo({tickets: [{id: 'A'}, {id: 'L', batch: 'later'}]});
		writeFileSync(path.join(root, '.proofloop/tickets/U.md'), '---\nid: U\ntitle: Nobody assigned me\nstatus: todo\n---\nDo U.\n');
		await execa('git', ['add', '-A'], {cwd: root});
		await execa('git', ['commit', '-q', '-m', 'an unassigned ticket'], {cwd: root});

		const doctor = await runCli(root, ['doctor']);
		expect(doctor.stdout).toMatch(
			/ok +batch: 1 ticket in batch 'b'; outside it:\n\s+no batch: key \(never run; add 'batch: b' to run it here\): U\n\s+batch 'later': L/,
		);

		const run = await runCli(root, ['run', '--headless'], {FAKE_AGENT_PLAN: plan});
		expect(run.exitCode).toBe(0);
		expect(run.stdout).toMatch(/warning: 2 tickets outside batch 'b':\n\s+no batch: key \(never run; add 'batch: b' to run it here\): U\n\s+batch 'later': L/);
	}, 120_000);

	it('says nothing when every ticket is in the batch, and shortens a long list', () => {
		expect(outsideBatchNote([{id: 'A', batch: 'b'}], 'b')).toBeUndefined();
		const many = Array.from({length: 12}, (_, i) => ({id: `T-${i}`, batch: 'x'}));
		expect(outsideBatch(many, 'b')).toEqual(["batch 'x': T-0, T-1, T-2, T-3, T-4, T-5, T-6, T-7, T-8, T-9 and 2 more"]);
	});
});
