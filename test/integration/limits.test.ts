import {describe, expect, it} from 'vitest';
import {FAKE_AGENT, makeRepo, runCli, runEvents} from '../helpers/repo.js';

describe('usage limits', () => {
	it('a usage-limit error parks the ticket until the reset without spending an attempt, then it runs again and is done', async () => {
		const {root, plan} = makeRepo({
			tickets: [{id: 'A'}],
			config: {attempts: 1, agent: {type: 'command', command: `node ${FAKE_AGENT} {ticket} {attempt}`, output: 'claude-stream-json'}},
			plan: {A: 'limit-once', _resetSeconds: 2, _sleepMs: 0},
		});
		const result = await runCli(root, ['run', '--headless'], {FAKE_AGENT_PLAN: plan});
		expect(result.stdout).toMatch(/usage limit/);
		expect(result.exitCode).toBe(0);
		const events = runEvents(root);
		const limited = events.find(e => e.type === 'attempt.limited');
		expect(limited).toBeDefined();
		// With attempts: 1, the second start exists only because the limited one was not counted: it is
		// attempt 1 again (never "2 of 1"), and it started no earlier than the reset the CLI named.
		const starts = events.filter(e => e.type === 'attempt.started');
		expect(starts.map(e => e.type === 'attempt.started' && `${e.attempt}/${e.maxAttempts}`)).toEqual(['1/1', '1/1']);
		const second = starts[1];
		expect(second).toBeDefined();
		expect(Date.parse(second!.at)).toBeGreaterThanOrEqual(Date.parse(limited!.type === 'attempt.limited' ? limited!.until : '') - 1000);
		expect(events.some(e => e.type === 'ticket.done' && e.ticket === 'A')).toBe(true);
	});
});
