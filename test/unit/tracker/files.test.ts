import {mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, symlinkSync, writeFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {afterEach, describe, expect, it} from 'vitest';
import {FileTracker} from '../../../source/tracker/files.js';
import {TrackerError, type TrackerIssue} from '../../../source/tracker/tracker.js';

const DIR = '.proofloop/tickets';
const temps: string[] = [];
afterEach(() => {
	for (const dir of temps.splice(0)) rmSync(dir, {recursive: true, force: true});
});

function repo(files: Record<string, string>): {root: string; tracker: FileTracker; path: (name: string) => string} {
	const root = mkdtempSync(join(tmpdir(), 'proofloop-tracker-'));
	temps.push(root);
	mkdirSync(join(root, DIR), {recursive: true});
	for (const [name, text] of Object.entries(files)) writeFileSync(join(root, DIR, name), text);
	return {root, tracker: new FileTracker({repoRoot: root, dir: DIR}), path: name => join(root, DIR, name)};
}

const ticket = (id: string, extra = '', status = 'todo') => `---\nid: ${id}\ntitle: Ticket ${id}\nstatus: ${status}\n${extra}---\nBody of ${id}.\n`;

async function issues(tracker: FileTracker): Promise<TrackerIssue[]> {
	const error = await tracker.load().then(
		() => undefined,
		(e: unknown) => e,
	);
	expect(error).toBeInstanceOf(TrackerError);
	return (error as TrackerError).issues;
}

const T3 = [
	'---',
	'id: T-3',
	'title: Grant the metrics writer role',
	'status: todo            # todo | in_progress | done',
	'batch: observability',
	'# a human note',
	'deps:',
	'  - T-1',
	'locks: [infra]',
	'checks: ["npm test"]',
	'allow: [docs/]',
	'---',
	'Scope and acceptance criteria.',
	'',
].join('\n');

describe('FileTracker.load', () => {
	it('loads every *.md ticket, sorted by file name, with defaults, file, body and text', async () => {
		const {tracker} = repo({
			'T-3.md': T3,
			'T-1.md': ticket('T-1', 'batch: observability\npriority: 0\n', 'done'),
			'T-2.md': ticket('T-2', 'deps: [T-1]\n'),
			'README.txt': 'not a ticket',
			'.T-1.md.123.abc.tmp': 'half-written',
		});
		const tickets = await tracker.load();
		expect(tickets.map(t => t.id)).toEqual(['T-1', 'T-2', 'T-3']);
		const t3 = tickets[2];
		expect(t3).toMatchObject({
			id: 'T-3',
			status: 'todo',
			batch: 'observability',
			deps: ['T-1'],
			locks: ['infra'],
			checks: ['npm test'],
			priority: 2,
			allow: ['docs/'],
			file: '.proofloop/tickets/T-3.md',
			body: 'Scope and acceptance criteria.\n',
			text: T3,
		});
		expect(tickets[1]).toMatchObject({deps: ['T-1'], locks: [], priority: 2, file: '.proofloop/tickets/T-2.md'});
		expect(tickets[0]).toMatchObject({status: 'done', priority: 0});
	});

	it('names an unreadable ticket file (a dangling symlink)', async () => {
		const {tracker, path} = repo({'T-1.md': ticket('T-1')});
		symlinkSync(path('nowhere'), path('T-2.md'));
		expect(await issues(tracker)).toEqual([
			{file: '.proofloop/tickets/T-2.md', message: 'cannot read .proofloop/tickets/T-2.md (ENOENT)', fix: 'repair or remove the file (a dangling symlink?)'},
		]);
	});

	it('ignores subdirectories, even ones named like tickets', async () => {
		const {tracker, path} = repo({'T-1.md': ticket('T-1')});
		mkdirSync(path('archive.md'));
		expect((await tracker.load()).map(t => t.id)).toEqual(['T-1']);
	});

	it('reports malformed front matter with the parser line and fix', async () => {
		const {tracker} = repo({'T-1.md': '---\nid: T-1\ntitle: x\nstatus: todo\ngate:\n  by: alice\n---\n'});
		const [issue, ...rest] = await issues(tracker);
		expect(rest).toEqual([]);
		expect(issue).toMatchObject({file: '.proofloop/tickets/T-1.md', line: 6});
		expect(issue?.message).toMatch(/nested mappings are not supported/);
		expect(issue?.fix).toMatch(/gate: \{a: 1, b: two\}/);
	});

	it('reports an unknown status at its line and lists the allowed ones', async () => {
		const {tracker} = repo({'T-1.md': ticket('T-1', '', 'finished')});
		expect(await issues(tracker)).toEqual([
			{
				file: '.proofloop/tickets/T-1.md',
				line: 4,
				message: 'unknown status "finished"',
				fix: 'use one of: todo, in_progress, blocked, merged, done, human_gated, failed',
			},
		]);
	});

	it('points a missing required key at line 1 and a bad value at its own line', async () => {
		const {tracker} = repo({'T-1.md': '---\nid: T-1\nstatus: todo\npriority: 9\ndeps: T-2\n---\n'});
		const found = await issues(tracker);
		expect(found).toHaveLength(3);
		expect(found).toContainEqual(expect.objectContaining({line: 1, message: "missing 'title'"}));
		expect(found).toContainEqual(expect.objectContaining({line: 4, fix: 'use an integer from 0 (highest) to 4'}));
		expect(found).toContainEqual(expect.objectContaining({line: 5, fix: 'write deps as a list: deps: [T-1, T-2]'}));
	});

	it('reports a duplicate id in the later file, at its id line, naming both files', async () => {
		const {tracker} = repo({'a.md': ticket('T-1'), 'b.md': `---\n# copy\nid: T-1\ntitle: again\nstatus: todo\n---\n`});
		expect(await issues(tracker)).toEqual([
			{file: '.proofloop/tickets/b.md', line: 3, message: "duplicate id 'T-1' (also in .proofloop/tickets/a.md)", fix: 'give one of the two tickets a new id'},
		]);
	});

	it('reports an unknown dependency at the deps line with the fix', async () => {
		const {tracker} = repo({'T-1.md': ticket('T-1', 'deps: [T-9]\n')});
		const [issue] = await issues(tracker);
		expect(issue).toEqual({
			file: '.proofloop/tickets/T-1.md',
			line: 5,
			message: "unknown dependency 'T-9'",
			fix: 'add a ticket with id T-9 or remove T-9 from deps',
		});
	});

	it('reports a ticket that depends on itself', async () => {
		const {tracker} = repo({'T-1.md': ticket('T-1', 'deps:\n  - T-1\n')});
		expect(await issues(tracker)).toEqual([
			{file: '.proofloop/tickets/T-1.md', line: 5, message: 'ticket T-1 depends on itself', fix: 'remove T-1 from its own deps'},
		]);
	});

	it('reports a dependency cycle with its path, at the deps line of the first ticket', async () => {
		const {tracker} = repo({
			'T-1.md': ticket('T-1', 'batch: b\ndeps: [T-2]\n'),
			'T-2.md': ticket('T-2', 'deps: [T-3]\n'),
			'T-3.md': ticket('T-3', 'deps: [T-1]\n'),
		});
		const found = await issues(tracker);
		expect(found).toEqual([
			{file: '.proofloop/tickets/T-1.md', line: 6, message: 'dependency cycle: T-1 -> T-2 -> T-3 -> T-1', fix: 'remove one of these dependencies'},
		]);
		expect(new TrackerError(found).message).toBe(
			'.proofloop/tickets/T-1.md:6: dependency cycle: T-1 -> T-2 -> T-3 -> T-1\n  fix: remove one of these dependencies',
		);
	});

	it('collects every issue across every file into one error', async () => {
		const {tracker} = repo({
			'A.md': ticket('A-1', 'deps: [A-2]\n'),
			'B.md': ticket('A-2', 'deps: [A-1]\n'),
			'C.md': ticket('C-1', '', 'finished'),
			'D.md': ticket('D-1', 'deps: [D-1, Z-9]\n'),
			'E.md': ticket('A-1'),
		});
		const found = await issues(tracker);
		expect(found.map(i => `${i.file}:${i.line} ${i.message}`)).toEqual([
			'.proofloop/tickets/C.md:4 unknown status "finished"',
			".proofloop/tickets/E.md:2 duplicate id 'A-1' (also in .proofloop/tickets/A.md)",
			'.proofloop/tickets/D.md:5 ticket D-1 depends on itself',
			".proofloop/tickets/D.md:5 unknown dependency 'Z-9'",
			'.proofloop/tickets/A.md:5 dependency cycle: A-1 -> A-2 -> A-1',
		]);
	});

	it('does not call a dep on an invalid ticket unknown', async () => {
		const {tracker} = repo({'T-1.md': ticket('T-1', 'deps: [T-2]\n'), 'T-2.md': ticket('T-2', '', 'finished')});
		expect((await issues(tracker)).map(i => i.message)).toEqual(['unknown status "finished"']);
	});

	it('does not guess "unknown dependency" while a file cannot be read', async () => {
		const {tracker} = repo({'T-1.md': ticket('T-1', 'deps: [T-2]\n'), 'T-2.md': '---\nid: T-2\ntitle: "broken\nstatus: todo\n---\n'});
		const found = await issues(tracker);
		expect(found).toHaveLength(1);
		expect(found[0]).toMatchObject({file: '.proofloop/tickets/T-2.md', line: 3, message: 'unterminated double-quoted string'});
	});

	it('says how to create a missing ticket directory', async () => {
		const root = mkdtempSync(join(tmpdir(), 'proofloop-tracker-'));
		temps.push(root);
		const tracker = new FileTracker({repoRoot: root, dir: '.proofloop/tickets/'});
		expect(await issues(tracker)).toEqual([
			{
				file: '.proofloop/tickets',
				message: 'no ticket directory at .proofloop/tickets',
				fix: 'run `proofloop init` or set tracker.dir in .proofloop/config.json',
			},
		]);
		expect(tracker.protectedPaths()).toEqual(['.proofloop/tickets/']);
	});
});

describe('FileTracker.update', () => {
	const sha = '0123456789abcdef0123456789abcdef01234567';

	it('rewrites only the given fields, keeping comments, order, the other keys and the body', async () => {
		const {tracker, path} = repo({'T-1.md': ticket('T-1'), 'T-3.md': T3});
		const updated = await tracker.update('T-3', {status: 'done', merge_commit: sha, attempts: 1});
		const text = readFileSync(path('T-3.md'), 'utf8');
		expect(text).toBe(
			T3.replace('status: todo            #', 'status: done            #').replace('allow: [docs/]\n', `allow: [docs/]\nmerge_commit: ${sha}\nattempts: 1\n`),
		);
		expect(updated).toMatchObject({
			id: 'T-3',
			status: 'done',
			merge_commit: sha,
			attempts: 1,
			allow: ['docs/'],
			text,
			body: 'Scope and acceptance criteria.\n',
		});
		const reloaded = (await tracker.load()).find(t => t.id === 'T-3');
		expect(reloaded).toEqual(updated);
	});

	it('writes atomically: the file is replaced by rename and no temp file is left', async () => {
		const {tracker, path, root} = repo({'T-1.md': ticket('T-1')});
		const before = statSync(path('T-1.md')).ino;
		await tracker.update('T-1', {status: 'in_progress'});
		expect(statSync(path('T-1.md')).ino).not.toBe(before);
		expect(readdirSync(join(root, DIR))).toEqual(['T-1.md']);
	});

	it('removes a field set to undefined', async () => {
		const {tracker, path} = repo({'T-1.md': ticket('T-1', 'failure: "checks failed"\nattempts: 3\n', 'failed')});
		await tracker.update('T-1', {status: 'todo', failure: undefined});
		expect(readFileSync(path('T-1.md'), 'utf8')).toBe(ticket('T-1', 'attempts: 3\n'));
	});

	it('records a human gate that the oracle accepts as a mapping', async () => {
		const {tracker} = repo({'T-1.md': ticket('T-1')});
		const gate = {by: 'alice', at: '2026-01-01T00:00:00Z', reason: 'needs: a human # with a hash'};
		await tracker.update('T-1', {status: 'human_gated', gate});
		const [reloaded] = await tracker.load();
		expect(reloaded?.gate).toEqual(gate);
	});

	it('serializes concurrent updates so none is lost', async () => {
		const {tracker} = repo({'T-1.md': ticket('T-1')});
		await Promise.all([
			tracker.update('T-1', {attempts: 1}),
			tracker.update('T-1', {failure: 'review rejected'}),
			tracker.update('T-1', {status: 'in_progress'}),
			tracker.update('T-1', {done_at: '2026-01-01T00:00:00Z'}),
		]);
		const [reloaded] = await tracker.load();
		expect(reloaded).toMatchObject({attempts: 1, failure: 'review rejected', status: 'in_progress', done_at: '2026-01-01T00:00:00Z'});
	});

	it('refuses a write that would not validate and leaves the file untouched', async () => {
		const {tracker, path} = repo({'T-1.md': ticket('T-1')});
		await expect(tracker.update('T-1', {merge_commit: 'not-a-sha'})).rejects.toThrow(TrackerError);
		expect(readFileSync(path('T-1.md'), 'utf8')).toBe(ticket('T-1'));
		// A failed update does not jam the queue.
		await expect(tracker.update('T-1', {attempts: 2})).resolves.toMatchObject({attempts: 2});
	});

	it('rejects an unknown id', async () => {
		const {tracker} = repo({'T-1.md': ticket('T-1')});
		await expect(tracker.update('T-9', {status: 'done'})).rejects.toThrow(/no ticket with id T-9 in \.proofloop\/tickets/);
	});
});
