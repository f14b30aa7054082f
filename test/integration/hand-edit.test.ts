import {readFileSync, writeFileSync} from 'node:fs';
import path from 'node:path';
import {describe, expect, it} from 'vitest';
import {makeRepo, runCli, runEvents} from '../helpers/repo.js';

const sleep = (ms: number) => new Promise(resolve => setTimeout(resolve, ms));

async function waitFor<T>(probe: () => T | undefined | false, timeoutMs = 60_000): Promise<T> {
	const until = Date.now() + timeoutMs;
	for (;;) {
		const value = probe();
		if (value) return value;
		if (Date.now() > until) throw new Error('timed out waiting');
		await sleep(50);
	}
}

describe('a hand edit of a ticket during a run', () => {
	it("is an intervention in the report (who, which ticket, what changed); pause and resume are controls; the engine's own writes are neither", async () => {
		const {root, plan} = makeRepo({tickets: [{id: 'A'}, {id: 'B', deps: ['A']}], config: {concurrency: 1}, plan: {_sleepMs: 1500}});
		const env = {FAKE_AGENT_PLAN: plan};
		expect((await runCli(root, ['run', '--detach'], env)).exitCode).toBe(0);
		await waitFor(() => runEvents(root).find(e => e.type === 'attempt.started' && e.ticket === 'A'));
		expect((await runCli(root, ['pause'], env)).exitCode).toBe(0);
		// A person rewrites B's body while A runs.
		const file = path.join(root, '.proofloop', 'tickets', 'B.md');
		writeFileSync(file, readFileSync(file, 'utf8').replace('Do B.', 'Do B, and say why in the commit.'));
		expect((await runCli(root, ['resume'], env)).exitCode).toBe(0);
		await waitFor(() => runEvents(root).find(e => e.type === 'run.stopped'));
		expect(runEvents(root).find(e => e.type === 'run.stopped')).toMatchObject({oracleExit: 0});

		const report = JSON.parse((await runCli(root, ['report', '--json'], env)).stdout);
		expect(report).toMatchObject({interventions: 1, interventionsByKind: {edit: 1}, controls: 2, controlsByKind: {pause: 1, resume: 1}});
		expect(report.interventionList).toEqual([expect.objectContaining({kind: 'edit', ticket: 'B', by: 'hand edit', reason: 'body changed in the ticket file'})]);
		expect(JSON.parse((await runCli(root, ['status', '--json'], env)).stdout)).toMatchObject({interventions: 1});
	});
});
