import {spawnSync} from 'node:child_process';
import {mkdtempSync} from 'node:fs';
import {tmpdir} from 'node:os';
import path from 'node:path';
import {describe, expect, it} from 'vitest';

const oracle = path.resolve('oracle/oracle.mjs');
const run = (...args: string[]) => spawnSync(process.execPath, [oracle, '--json', ...args], {encoding: 'utf8'});
const error = (result: ReturnType<typeof run>) => (JSON.parse(result.stdout) as {error: string}).error;

describe("the oracle's arguments", () => {
	it('cannot judge (exit 2) on an unknown option, a missing value or a stray word, and says which', () => {
		for (const [args, said] of [
			[['--repo', '.', '--bogus'], /--bogus/],
			[['--repo'], /--repo/],
			[['--repo', '--batch', 'b'], /--repo/],
			[['--repo', '.', 'extra'], /extra/],
			[[], /--repo is required/],
		] as const) {
			const result = run(...args);
			expect(result.status, args.join(' ')).toBe(2);
			expect(error(result)).toMatch(said);
			expect(error(result)).toMatch(/usage: node oracle.mjs --repo <dir>/);
		}
	});

	it('takes --repo=<dir> as well as --repo <dir>', () => {
		const empty = mkdtempSync(path.join(tmpdir(), 'oracle-args-'));
		for (const args of [[`--repo=${empty}`], ['--repo', empty]]) {
			const result = run(...args);
			expect(result.status).toBe(2);
			expect(error(result)).not.toMatch(/usage:/);
		}
	});
});
