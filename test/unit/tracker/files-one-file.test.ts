import {existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, symlinkSync, writeFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {afterEach, describe, expect, it} from 'vitest';
import {spawn, spawnSync} from 'node:child_process';
import {FileTracker} from '../../../source/tracker/files.js';

const DIR = '.proofloop/tickets';
const temps: string[] = [];
afterEach(() => {
	for (const dir of temps.splice(0)) rmSync(dir, {recursive: true, force: true});
});

const ticket = (id: string) => `---\nid: ${id}\ntitle: Ticket ${id}\nstatus: todo\n---\nBody of ${id}.\n`;

function repo(ids: string[]): {tracker: FileTracker; path: (name: string) => string} {
	const root = mkdtempSync(join(tmpdir(), 'proofloop-one-file-'));
	temps.push(root);
	mkdirSync(join(root, DIR), {recursive: true});
	for (const id of ids) writeFileSync(join(root, DIR, `${id}.md`), ticket(id));
	return {tracker: new FileTracker({repoRoot: root, dir: DIR}), path: name => join(root, DIR, name)};
}

describe('a ticket write reads and replaces its one file', () => {
	it('another ticket file that cannot be read does not stop it (the write never reads the others)', async () => {
		const {tracker, path} = repo(['A', 'B']);
		await tracker.load();
		symlinkSync(path('nowhere'), path('C.md'));
		await tracker.update('A', {status: 'in_progress'});
		expect(readFileSync(path('A.md'), 'utf8')).toMatch(/^status: in_progress$/m);
		expect(readFileSync(path('B.md'), 'utf8')).toBe(ticket('B'));
	});

	it('a ticket moved to another file since the last read is found and written there', async () => {
		const {tracker, path} = repo(['A', 'B']);
		await tracker.load();
		renameSync(path('A.md'), path('a-renamed.md'));
		await tracker.update('A', {status: 'done'});
		expect(existsSync(path('A.md'))).toBe(false);
		expect(readFileSync(path('a-renamed.md'), 'utf8')).toMatch(/^status: done$/m);
		// Its next write goes to the new file directly.
		await tracker.update('A', {status: 'todo'});
		expect(readFileSync(path('a-renamed.md'), 'utf8')).toMatch(/^status: todo$/m);
	});

	it('writes of different tickets at once, and of one ticket at once, all land', async () => {
		const ids = Array.from({length: 20}, (_, i) => `T-${i}`);
		const {tracker, path} = repo(ids);
		await tracker.load();
		await Promise.all(ids.flatMap(id => [tracker.update(id, {status: 'in_progress'}), tracker.update(id, {attempts: 2})]));
		for (const id of ids)
			expect(readFileSync(path(`${id}.md`), 'utf8')).toMatch(/^status: in_progress$[\s\S]*^attempts: 2$|^attempts: 2$[\s\S]*^status: in_progress$/m);
	});

	it("the first write clears the temp files a writer killed mid-write left (its process gone), never a live writer's or any other file", async () => {
		const {tracker, path} = repo(['A']);
		const dead = spawnSync('true').pid!;
		const live = spawn('sleep', ['30']);
		try {
			const names = [`.A.md.${dead}.0123456789ab.tmp`, `.A.md.${live.pid}.0123456789ab.tmp`, '.notes.tmp', `.A.md.${dead}.tmp`];
			for (const name of names) writeFileSync(path(name), 'half a ticket');
			await tracker.load();
			await tracker.update('A', {status: 'in_progress'});
			expect(names.map(name => existsSync(path(name)))).toEqual([false, true, true, true]);
		} finally {
			live.kill();
		}
	});
});
