import {readFileSync, readdirSync} from 'node:fs';
import path from 'node:path';
import {describe, expect, it} from 'vitest';
import {makeRepo, runCli, runEvents} from '../helpers/repo.js';

const records = (file: string) =>
	readFileSync(file, 'utf8')
		.trim()
		.split('\n')
		.map(line => JSON.parse(line) as Record<string, {exit: number; out: string}> & {ticket: string; attempt: number});

const snapshot = (root: string) => {
	const dir = path.join(root, '.proofloop/tickets');
	return Object.fromEntries(readdirSync(dir).map(name => [name, readFileSync(path.join(dir, name), 'utf8')]));
};

describe('discovered work, blockers and the ledger', () => {
	it('a worker files a blocker of its own ticket: the new ticket runs and is done, then the original resumes on its branch and is done', async () => {
		const {root, plan} = makeRepo({tickets: [{id: 'T-1'}], plan: {'T-1': 'file-blocker', _sleepMs: 50}});
		const out = `${plan}.out`;
		const result = await runCli(root, ['run', '--headless'], {FAKE_AGENT_PLAN: plan, FAKE_AGENT_OUT: out});
		expect(result.exitCode).toBe(0);
		expect(records(out)[0]!.filed).toMatchObject({exit: 0, out: expect.stringMatching(/filed T-2; T-1 now waits on it/)});

		const events = runEvents(root);
		const order = events.flatMap(e => {
			if (e.type === 'ticket.filed') return [`filed ${e.ticket}`];
			if (e.type === 'attempt.parked') return [`parked ${e.ticket}`];
			if (e.type === 'attempt.started') return [`start ${e.ticket}#${e.attempt}`];
			if (e.type === 'ticket.done') return [`done ${e.ticket}`];
			return [];
		});
		const at = (step: string) => order.indexOf(step);
		expect(order).toHaveLength(7);
		// The filing made T-2 ready, and it started at once (it need not wait for T-1's worker to exit).
		expect(at('filed T-2')).toBeGreaterThan(at('start T-1#1'));
		expect(at('start T-2#1')).toBe(at('filed T-2') + 1);
		expect(at('parked T-1')).toBeGreaterThan(at('filed T-2'));
		// T-1 resumed only after T-2 was done, as attempt 1 again: a parked attempt is not charged.
		expect(order.lastIndexOf('start T-1#1')).toBeGreaterThan(Math.max(at('done T-2'), at('parked T-1')));
		expect(order.at(-1)).toBe('done T-1');
		// The oracle said not done until both were.
		const verdicts = events.filter(e => e.type === 'oracle.verdict').map(e => (e.type === 'oracle.verdict' ? e.exit : -1));
		expect(verdicts.at(-1)).toBe(0);
		expect(verdicts.slice(0, -1).every(exit => exit === 1 || exit === 0)).toBe(true);
		const doneT2 = events.findIndex(e => e.type === 'ticket.done' && e.ticket === 'T-1');
		expect(
			events
				.slice(0, doneT2)
				.filter(e => e.type === 'oracle.verdict')
				.every(e => e.type === 'oracle.verdict' && e.exit === 1),
		).toBe(true);

		const ticket = readFileSync(path.join(root, '.proofloop/tickets/T-2.md'), 'utf8');
		expect(ticket).toMatch(/discovered_from: T-1/);
		const manifest = JSON.parse(
			readFileSync(
				path.join(
					root,
					'.proofloop/runs',
					readdirSync(path.join(root, '.proofloop/runs')).find(n => n !== 'engine.lock' && !n.includes('.'))!,
					'manifest.json',
				),
				'utf8',
			),
		);
		expect(manifest.ticket_ids).toEqual(['T-1', 'T-2']);
		const report = JSON.parse((await runCli(root, ['report', '--json'])).stdout);
		expect(report.filedByLoop).toEqual(['T-2']);
		expect(report.tickets.find((t: {id: string}) => t.id === 'T-1').filed).toEqual(['T-2']);
		expect(report.interventions).toBe(0);
	});

	it('refuses a filing that closes a cycle, one without a title and one with an unknown dep, leaving the tracker byte for byte', async () => {
		const {root, plan} = makeRepo({tickets: [{id: 'T-1'}], plan: {'T-1': 'bad-filings', _sleepMs: 50}});
		const out = `${plan}.out`;
		const before = snapshot(root);
		const result = await runCli(root, ['run', '--headless'], {FAKE_AGENT_PLAN: plan, FAKE_AGENT_OUT: out});
		expect(result.exitCode).toBe(0);
		const said = Object.assign({}, ...records(out));
		expect(said.cycle).toMatchObject({exit: 2, out: expect.stringMatching(/cycle: .*T-1 -> T-2 -> T-1|T-2 -> T-1 -> T-2/)});
		expect(said.noTitle).toMatchObject({exit: 2, out: expect.stringMatching(/needs a title/)});
		expect(said.unknownDep).toMatchObject({exit: 2, out: expect.stringMatching(/NOPE/)});
		const after = snapshot(root);
		expect(Object.keys(after)).toEqual(Object.keys(before));
		expect(runEvents(root).some(e => e.type === 'ticket.filed')).toBe(false);
	});

	it('a blocked claim without evidence is refused; with evidence it is challenged on attempt 1 and stands on attempt 2; the oracle names it', async () => {
		const {root, plan} = makeRepo({tickets: [{id: 'T-1'}, {id: 'T-2'}], plan: {'T-1': 'claim-blocked', _sleepMs: 50}});
		const out = `${plan}.out`;
		const result = await runCli(root, ['run', '--headless'], {FAKE_AGENT_PLAN: plan, FAKE_AGENT_OUT: out});
		expect(result.exitCode).toBe(1);
		const said = records(out);
		expect(said.find(r => r.noEvidence)!.noEvidence).toMatchObject({exit: 2, out: expect.stringMatching(/needs evidence/)});
		expect(said.find(r => r.attempt === 1 && r.claim)!.claim.out).toMatch(/challenged/);
		expect(said.find(r => r.attempt === 2 && r.claim)!.claim.out).toMatch(/marked blocked/);
		const events = runEvents(root);
		expect(events.filter(e => e.type === 'ticket.blocked').map(e => (e.type === 'ticket.blocked' ? e.challenged : null))).toEqual([true, false]);
		const oracle = await runCli(root, ['oracle']);
		expect(oracle.exitCode).toBe(1);
		expect(oracle.stdout).toMatch(/T-1\s+blocked/);
		expect(readFileSync(path.join(root, '.proofloop/tickets/T-1.md'), 'utf8')).toMatch(/block: \{wall: "cloud quota is zero"/);
		// The next attempt was shown the challenge.
		const prompt2 = readFileSync(
			path.join(
				root,
				'.proofloop/runs',
				readdirSync(path.join(root, '.proofloop/runs')).find(n => /^\d/.test(n))!,
				'prompts/T-1/2.md',
			),
			'utf8',
		);
		expect(prompt2).toMatch(/challenged: look for another path/);
	});
});
