import {mkdtempSync, readFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import path from 'node:path';
import {execa} from 'execa';
import {describe, expect, it} from 'vitest';

// Each restart pays the oracle tripwire (about 3 s here), so `npm test` runs a
// few kills; .ci/run runs `scripts/chaos.mjs --kills 30` as its own step, and
// `npm run chaos -- --kills 200` is the long run.
const KILLS = 5;

describe('crash tolerance under SIGKILL at random moments', () => {
	it(`${KILLS} kills of the engine: the batch still ends at oracle 0, each ticket merged once, nothing leaked, the log readable`, async () => {
		const out = path.join(mkdtempSync(path.join(tmpdir(), 'pl-chaos-result-')), 'chaos.json');
		const seed = Math.floor(Math.random() * 2 ** 31);
		const run = await execa(process.execPath, ['scripts/chaos.mjs', '--kills', String(KILLS), '--seed', String(seed), '--out', out, '--quiet'], {
			reject: false,
			stdin: 'ignore',
		});
		// The figures and, on a failure, the problems (with the seed to replay them).
		console.log(run.stdout);
		expect(run.stderr, `seed ${seed}`).toBe('');
		expect(run.exitCode, `seed ${seed}`).toBe(0);
		const result = JSON.parse(readFileSync(out, 'utf8')) as {
			kills: number;
			restarts: number;
			merges: number;
			tickets: number;
			duplicates: number;
			leaks: number;
			survivors: number;
			ok: boolean;
			problems: string[];
		};
		expect(result.problems).toEqual([]);
		expect(result).toMatchObject({ok: true, kills: KILLS, restarts: KILLS, duplicates: 0, leaks: 0, survivors: 0});
		expect(result.merges).toBe(result.tickets);
	}, 240_000);
});
