import {describe, expect, it} from 'vitest';
import {cannotFail} from '../../../source/core/cannot-fail.js';
import {BatchError, selectBatch} from '../../../source/core/batch.js';
import {ProjectConfig} from '../../../source/core/config.js';
import type {Ticket} from '../../../source/tracker/ticket.js';

const ticket = (id: string, extra: Partial<Ticket> = {}) => ({id, file: `.proofloop/tickets/${id}.md`, batch: 'b', deps: [], locks: [], ...extra}) as Ticket;
const refusal = (tickets: Ticket[], config: object) => {
	try {
		selectBatch(tickets, ProjectConfig.parse({batch: 'b', ...config}));
		return '';
	} catch (error) {
		expect(error).toBeInstanceOf(BatchError);
		return (error as Error).message;
	}
};

describe('a finish-line command that cannot fail', () => {
	it('is told from one that can, through parentheses, sh -c, comments and && chains', () => {
		for (const command of ['node -e 0', "sh -c 'true'", 'bash -c ":"', 'exit 0 # fine', 'true && true', '( (true) )', '! false', 'python3 -c pass'])
			expect(cannotFail(command), command).toBe(true);
		for (const command of ['node -e "process.exit(1)"', "sh -c 'npm test'", 'true && npm test', 'npm test # all', 'node --test', 'python3 -m pytest'])
			expect(cannotFail(command), command).toBe(false);
	});

	it('refuses the run, naming the config once for its checks and each ticket for its own', () => {
		const message = refusal([ticket('A'), ticket('B'), ticket('C', {checks: ['npm test', 'echo ok'], verify: ['npm test']})], {checks: ['true']});
		expect(message.match(/config\.json: the checks command `true` cannot fail/g)).toHaveLength(1);
		expect(message).toMatch(/C\.md: the checks command `echo ok` cannot fail.*fix: remove it from "checks"/s);
		expect(message).not.toMatch(/`npm test` cannot fail/);
		// The config's no-op check does not matter when every ticket overrides it.
		expect(refusal([ticket('C', {checks: ['npm test']})], {checks: ['true']})).toBe('');
	});
});

describe('a finish-line command that can fail (the review of cannot-fail)', () => {
	it('is not refused for a bare exit that keeps the status, set -e or pipefail', () => {
		for (const command of [
			'npm test || exit',
			'npm test; exit',
			'set -e; npm test; echo done',
			"sh -c 'set -e; npm test; echo done'",
			'set -o pipefail; npm test | tee log',
		])
			expect(cannotFail(command), command).toBe(false);
		for (const command of ['exit', 'exit 0', 'npm test; exit 0']) expect(cannotFail(command), command).toBe(true);
	});

	it('reads quotes as a shell does: an operator inside quotes is a word, one inside sh -c decides', () => {
		for (const command of [
			"sh -c 'npm test || true'",
			'bash -c "npm test; exit 0"',
			'npm test 2>/dev/null || true',
			'npm test || true 2>&1',
			'npm test\ntrue',
			'echo "a; npm test"',
			'CI=1 true',
			'npm test | tee "out log"',
		])
			expect(cannotFail(command), command).toBe(true);
		for (const command of ['npm test "a || b"', "echo 'x' && npm test", 'npm test 2>&1', 'true\nnpm test', "node -e 'process.exit(1)' || npm test"])
			expect(cannotFail(command), command).toBe(false);
	});
});
