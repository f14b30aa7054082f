import {describe, expect, it} from 'vitest';
import {buildProgram} from '../../../source/commands/program.js';

describe('proofloop --help', () => {
	it('wraps its description as one paragraph: no line cut short in the middle (a new user reads this first)', async () => {
		const program = await buildProgram('0.0.0', ['node', 'proofloop']);
		program.configureOutput({getOutHelpWidth: () => 80});
		const help = program.helpInformation();
		const start = help.indexOf('Run a batch');
		const paragraph = help.slice(start, help.indexOf('\n\n', start)).split('\n');
		expect(paragraph.length).toBeGreaterThan(1);
		// Every line but the last is filled to near the width.
		for (const line of paragraph.slice(0, -1)) expect(line.length, line).toBeGreaterThan(60);
	});
});
