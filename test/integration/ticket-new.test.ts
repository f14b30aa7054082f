/**
 * `proofloop ticket new` scaffolds a ticket with every field and a one-line
 * comment each, in the subset both the tracker and the oracle read.
 */
import {existsSync, readdirSync, readFileSync} from 'node:fs';
import path from 'node:path';
import {execa} from 'execa';
import {describe, expect, it} from 'vitest';
import {TICKET_KEYS} from '../../oracle/oracle.mjs';
import {FileTracker} from '../../source/tracker/files.js';
import {makeRepo, runCli} from '../helpers/repo.js';

describe('proofloop ticket new', () => {
	it('writes the next T-<n> with every field commented; the tracker and the oracle both read it', async () => {
		const {root} = makeRepo({tickets: [{id: 'T-1'}]});
		const result = await runCli(root, [
			'ticket',
			'new',
			'--title',
			'Fix #3: the "login" timeout',
			'--deps',
			'T-1',
			'--locks',
			'infra',
			'--check',
			'test -e README.md',
			'--priority',
			'1',
		]);
		expect(result.stderr).toBe('');
		expect(result.exitCode).toBe(0);
		expect(result.stdout).toMatch(/wrote \.proofloop\/tickets\/T-2\.md/);
		const text = readFileSync(path.join(root, '.proofloop/tickets/T-2.md'), 'utf8');
		const front = text.split('\n---\n')[0] ?? '';
		// Every key the schema knows is there, as a key or in a comment, and every key line carries its comment.
		for (const key of TICKET_KEYS) expect(front).toMatch(new RegExp(`(^|[ #,])${key}(:|,|$)`, 'm'));
		for (const line of front.split('\n').slice(1)) expect(line).toMatch(/ # \S|^# /);

		const tickets = await new FileTracker({repoRoot: root, dir: '.proofloop/tickets'}).load();
		expect(tickets.find(t => t.id === 'T-2')).toMatchObject({
			title: 'Fix #3: the "login" timeout',
			status: 'todo',
			batch: 'b',
			deps: ['T-1'],
			locks: ['infra'],
			priority: 1,
			checks: ['test -e README.md'],
			allow: [],
		});
		expect(tickets.find(t => t.id === 'T-2')?.verify).toBeUndefined();
		// The oracle reads it too: a verdict (not done), not "cannot judge".
		const oracle = await execa(process.execPath, ['oracle/oracle.mjs', '--repo', root], {reject: false});
		expect(oracle.exitCode, oracle.stdout + oracle.stderr).toBe(1);
		expect(oracle.stdout).toMatch(/T-2 +todo/);
	});

	it('refuses a bad draft, an id taken, and a caller inside a run, writing nothing', async () => {
		const {root} = makeRepo({tickets: [{id: 'T-1'}]});
		const before = readdirSync(path.join(root, '.proofloop/tickets'));
		for (const [args, said, env] of [
			[['--deps', 'NOPE'], /unknown dependency 'NOPE'\n {2}fix: /, {}],
			[['--id', 'T-1'], /T-1\.md already exists\n {2}fix: /, {}],
			[['--priority', '9'], /priority.*\n {2}fix: use an integer from 0/, {}],
			[['--id', '../escape'], /'id': an id starts with a letter/, {}],
			[[], /inside a proofloop run.*\n {2}fix: run it from your own shell/, {PROOFLOOP_RUN_ID: 'r1'}],
		] as Array<[string[], RegExp, Record<string, string>]>) {
			const result = await runCli(root, ['ticket', 'new', ...args], env);
			expect(result.exitCode, result.stderr).toBe(2);
			expect(result.stderr).toMatch(said);
		}
		expect(readdirSync(path.join(root, '.proofloop/tickets'))).toEqual(before);
		expect(existsSync(path.join(root, '.proofloop/escape.md'))).toBe(false);
	});
});
