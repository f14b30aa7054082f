/**
 * `run --detach` starts the engine in the background; when the engine refuses
 * (bad input), the refusal is exit 2 with the engine's own message, and the
 * start takes back what it created: no .proofloop/runs, no engine.out.
 */
import {existsSync, mkdirSync, writeFileSync} from 'node:fs';
import path from 'node:path';
import {describe, expect, it} from 'vitest';
import {makeRepo, runCli} from '../helpers/repo.js';

describe('run --detach refused', () => {
	it('a batch that matches no ticket is exit 2 and leaves no runs directory behind', async () => {
		const {root, plan} = makeRepo({tickets: [{id: 'T-1', batch: 'other'}]});
		expect(existsSync(path.join(root, '.proofloop/runs'))).toBe(false);
		const refused = await runCli(root, ['run', '--detach'], {FAKE_AGENT_PLAN: plan});
		expect(refused.exitCode, refused.stderr).toBe(2);
		expect(refused.stderr).toMatch(/batch/);
		expect(existsSync(path.join(root, '.proofloop/runs'))).toBe(false);
	}, 60_000);

	it('an engine.out from an earlier run is kept', async () => {
		const {root, plan} = makeRepo({tickets: [{id: 'T-1', batch: 'other'}]});
		const runs = path.join(root, '.proofloop/runs');
		mkdirSync(runs, {recursive: true});
		writeFileSync(path.join(runs, 'engine.out'), 'earlier\n');
		const refused = await runCli(root, ['run', '--detach'], {FAKE_AGENT_PLAN: plan});
		expect(refused.exitCode).toBe(2);
		expect(existsSync(path.join(runs, 'engine.out'))).toBe(true);
	}, 60_000);
});
