import {mkdtempSync, readFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import path from 'node:path';
import {execa} from 'execa';
import {describe, expect, it} from 'vitest';

// One attempt per ticket: every attempt a kill interrupts must be redone under the same
// number (not charged), on a fresh branch (the killed one's commits would make the redo
// find nothing to do). scripts/chaos.mjs checks labels, prompts, events, ticket files and
// the report against the budget.
describe('attempt numbers under engine kills', () => {
	it('20 kills mid-batch with a budget of 1: the batch ends at oracle 0 and no number shown exceeds the budget', async () => {
		const out = path.join(mkdtempSync(path.join(tmpdir(), 'pl-attempts-result-')), 'chaos.json');
		const seed = Math.floor(Math.random() * 2 ** 31);
		const run = await execa(process.execPath, ['scripts/chaos.mjs', '--kills', '20', '--attempts', '1', '--seed', String(seed), '--out', out, '--quiet'], {
			reject: false,
			stdin: 'ignore',
		});
		console.log(run.stdout);
		expect(run.stderr, `seed ${seed}`).toBe('');
		const result = JSON.parse(readFileSync(out, 'utf8')) as {kills: number; ok: boolean; problems: string[]};
		expect(result.problems, `seed ${seed}`).toEqual([]);
		expect(result).toMatchObject({ok: true, kills: 20});
	}, 400_000);
});
