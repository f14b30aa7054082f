import {mkdtempSync, readdirSync, readFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import path from 'node:path';
import {describe, expect, it} from 'vitest';
import {runCli, runEvents} from '../helpers/repo.js';

describe('proofloop demo --plan', () => {
	it('plans the demo batch from a two-sentence request (a lint refusal, then the fixed round), then runs it to oracle 0', async () => {
		const dir = path.join(mkdtempSync(path.join(tmpdir(), 'pl-demo-plan-')), 'repo');
		const result = await runCli(process.cwd(), ['demo', '--plan', '--headless', '--dir', dir]);
		expect(result.stderr).toBe('');
		expect(result.stdout).toMatch(/research: 2 researcher\(s\) in parallel, read-only/);
		expect(result.stdout).toMatch(/readiness lint refused 1 of 3 ticket\(s\):\n\s+count: it has no acceptance criteria/);
		expect(result.stdout).toMatch(/breakdown round 2 of 3\n\s+readiness lint: all 3 ticket\(s\) ready\nplan written/);
		expect(result.stdout).toMatch(/oracle: exit 0 \(done\): 4\/4/);
		expect(result.exitCode).toBe(0);
		const tickets = readdirSync(path.join(dir, '.proofloop', 'tickets')).sort();
		expect(tickets).toEqual(['T-1.md', 'T-2.md', 'T-3.md', 'T-4.md']);
		// The master went last: it depends on the three and proves the whole with its end-to-end test.
		const master = readFileSync(path.join(dir, '.proofloop', 'tickets', 'T-1.md'), 'utf8');
		expect(master).toMatch(/deps: \[T-2, T-3, T-4\]/);
		const done = runEvents(dir).filter(e => e.type === 'ticket.done');
		expect(done.map(e => ('ticket' in e ? e.ticket : '')).at(-1)).toBe('T-1');
		expect(readFileSync(path.join(dir, '.proofloop', 'tickets', 'T-3.md'), 'utf8')).toMatch(/size: S\nlabels: \[mechanical\]/);
		// The ledger shows what planning the batch cost, beside what running it cost.
		const report = JSON.parse((await runCli(dir, ['report', '--json'])).stdout) as {planning?: {plans: string[]; inputTokens: number; outputTokens: number}};
		expect(report.planning?.plans).toEqual([expect.stringMatching(/^plan-/)]);
		expect((report.planning?.inputTokens ?? 0) + (report.planning?.outputTokens ?? 0)).toBeGreaterThan(0);
		expect((await runCli(dir, ['report'])).stdout).toMatch(/- planning: n\/a, \d+ tokens \(`proofloop plan` plan-/);
	}, 180_000);
});
