import {describe, expect, it} from 'vitest';
import {programOf, simpleCommands} from '../../../source/core/preflight.js';

describe('preflight: reading a command line', () => {
	it('splits simple commands; a redirection like 2>&1 is not a background job', () => {
		expect(simpleCommands('setsid env -i sh -c "sleep 300; : x" >/dev/null 2>&1 &')).toEqual([
			['setsid', 'env', '-i', 'sh', '-c', 'sleep 300; : x', '>/dev/null', '2>&1'],
		]);
		expect(simpleCommands('FOO=1 npm test && ./scripts/smoke.sh | tee out')).toEqual([['FOO=1', 'npm', 'test'], ['./scripts/smoke.sh'], ['tee', 'out']]);
		// Too clever to judge without a shell: nothing is claimed.
		expect(simpleCommands('$(which node) x')).toBeUndefined();
	});

	it('finds the program past assignments and wrappers', () => {
		expect(programOf(['FOO=1', 'env', '-i', 'node', '/x.mjs'])).toEqual({program: 'node', args: ['/x.mjs']});
		expect(programOf(['$CMD', 'x'])).toBeUndefined();
		// Options that take a value, a wrapper after a wrapper, timeout's duration.
		expect(programOf(['env', '-u', 'TOKEN', 'node', 'x.mjs'])).toEqual({program: 'node', args: ['x.mjs']});
		expect(programOf(['nice', '-n', '10', 'env', '-i', 'FOO=1', 'npm', 'test'])).toEqual({program: 'npm', args: ['test']});
		expect(programOf(['timeout', '-k', '5', '300', 'npm', 'test'])).toEqual({program: 'npm', args: ['test']});
		expect(programOf(['env', '--', 'make'])).toEqual({program: 'make', args: []});
	});
});
