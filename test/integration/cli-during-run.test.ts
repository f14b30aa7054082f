import path from 'node:path';
import {execa} from 'execa';
import {describe, expect, it} from 'vitest';

// Every verb answers at any moment of a run (worktrees half made or half removed, the engine ending).
// npm test makes 100 calls; CI's .ci/run makes 2,000 with the same script.
describe('CLI calls during a run', () => {
	it('status, oracle, tail, report and worker notes, 100 calls in parallel batches during demo runs with spare checkouts: none fails', async () => {
		const result = await execa(process.execPath, [path.resolve('scripts/stress-cli.mjs'), '--calls', '100', '--parallel', '6', '--quiet'], {reject: false});
		expect(result.exitCode, result.stdout + result.stderr).toBe(0);
		expect(result.stdout).toMatch(/stress-cli: 100 CLI calls during \d+ demo run\(s\) in [\d.]+s, 0 failed/);
	}, 600_000);
});
