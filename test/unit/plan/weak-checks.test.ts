import {describe, expect, it} from 'vitest';
import {lintPlan} from '../../../source/plan/lint.js';
import {PlannedTicket} from '../../../source/plan/schema.js';
import {cannotFail} from '../../../source/plan/weak-checks.js';

const t = (key: string, checks?: string[]) =>
	PlannedTicket.parse({key, title: key, scope: 'a change', acceptance: ['it works'], files: ['README.md'], testPlan: ['a test'], ...(checks ? {checks} : {})});
const lint = (tickets: PlannedTicket[], configChecks: string[]) =>
	lintPlan({tickets, baseFiles: new Set(['README.md']), existingIds: new Set(), limits: {maxFiles: 8, maxAcceptance: 8}, configChecks}).map(
		f => `${f.key}: ${f.reason}`,
	);

describe("a planned ticket's checks", () => {
	it('cannot be a check that cannot fail', () => {
		for (const command of [
			'true',
			'exit 0',
			': ',
			'/bin/true',
			'(exit 0)',
			'echo ok',
			'npm test || true',
			'npm test; exit 0',
			'npm test | tee log',
			'npm test\ntrue',
		])
			expect(cannotFail(command), command).toBe(true);
		for (const command of ['npm test', 'node --test test/', 'npm test && true', 'false; npm test', 'test -e README.md', 'exit 1'])
			expect(cannotFail(command), command).toBe(false);
	});

	it("may add to the config's checks, never drop one or add one that cannot fail; unset keeps the config's", () => {
		expect(lint([t('unset'), t('adds', ['npm test', 'npm run lint'])], ['npm test'])).toEqual([]);
		expect(lint([t('drops', ['npm run lint']), t('noop', ['npm test', 'true']), t('empty', [])], ['npm test'])).toEqual([
			"drops: its checks drop the config's check `npm test`; a planned ticket may add checks, never drop one (leave checks out to keep the config's)",
			'noop: its check `true` cannot fail, so it proves nothing; write a check that fails when the acceptance does not hold',
			"empty: its checks drop the config's check `npm test`; a planned ticket may add checks, never drop one (leave checks out to keep the config's)",
		]);
		// With no config checks a ticket's own are its whole finish line: one that cannot fail is refused.
		expect(lint([t('none', [])], [])).toEqual(['none: its checks are empty, so nothing could prove it done; leave checks out or name a check that can fail']);
		expect(lint([t('alone', ['exit 0'])], [])).toEqual([
			'alone: its check `exit 0` cannot fail, so it proves nothing; write a check that fails when the acceptance does not hold',
		]);
	});
});
