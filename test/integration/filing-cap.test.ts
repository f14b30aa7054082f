import {readFileSync} from 'node:fs';
import path from 'node:path';
import {describe, expect, it} from 'vitest';
import {listRuns} from '../../source/core/run-dir.js';
import {makeRepo, runCli, runEvents} from '../helpers/repo.js';

// An agent that files a ticket on every attempt grows the batch without end;
// the run's cap (maxFiledTickets) refuses it and asks a person.
const AGENT = path.resolve('test/fixtures/agents/file-loop-agent.mjs');

describe('maxFiledTickets', () => {
	it('an agent that files in a loop is refused past the cap, a person is asked, and the run ends', {timeout: 180_000}, async () => {
		const {root} = makeRepo({
			tickets: [{id: 'A'}],
			config: {attempts: 1, concurrency: 2, selfHeal: {max: 0}, maxFiledTickets: 3, agent: {type: 'command', command: `node ${AGENT}`}},
		});
		const result = await runCli(root, ['run', '--headless']);
		expect(result.exitCode, result.stdout + result.stderr).not.toBe(0);
		const events = runEvents(root);
		expect(events.filter(e => e.type === 'ticket.filed')).toHaveLength(3);
		const warnings = events.filter(e => e.type === 'warning' && String(e.message).includes('maxFiledTickets: 3'));
		expect(warnings).toHaveLength(1);
		expect(warnings[0]).toMatchObject({message: expect.stringContaining('A person is needed')});
		// The filer is told the cap and the fix.
		const log = readFileSync(path.join(listRuns(root)[0]!.dir, 'logs', 'A', '1.log'), 'utf8');
		expect(log).toContain('its cap (maxFiledTickets: 3)');
		expect(log).toContain('raises maxFiledTickets in .proofloop/config.json');
		expect(events.some(e => e.type === 'run.stopped')).toBe(true);
	});
});
