import {describe, expect, it} from 'vitest';
import {makeRepo, runCli} from '../helpers/repo.js';

describe('a worker verb of `proofloop ticket` outside a run', () => {
	it('is refused (exit 2) with `proofloop ticket new` as the fix, the command a person files a ticket with', async () => {
		const {root} = makeRepo({tickets: [{id: 'T-1'}]});
		const env = {PROOFLOOP_CONTROL: '', PROOFLOOP_TICKET: ''};
		for (const args of [
			['ticket', 'note', 'hi'],
			['ticket', 'file', '--title', 'x', '--body-file', 'README.md'],
		]) {
			const result = await runCli(root, args, env);
			expect(result.exitCode, args.join(' ')).toBe(2);
			expect(result.stderr).toMatch(/is for a worker inside a run.*\n\s+fix: .*`proofloop ticket new`/);
			expect(result.stderr).not.toMatch(/\n\s+at /);
		}
	});
});
