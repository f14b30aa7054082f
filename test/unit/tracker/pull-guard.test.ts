import {existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import path from 'node:path';
import {describe, expect, it} from 'vitest';
import {PullGuard} from '../../../source/tracker/sync/pull-guard.js';

describe("a refused run's undo of its pull", () => {
	it('takes back what the pull wrote, and keeps what a person saved meanwhile', () => {
		const root = mkdtempSync(path.join(tmpdir(), 'pl-pull-guard-'));
		const dir = path.join(root, 'tickets');
		mkdirSync(dir);
		const state = path.join(root, 'github.json');
		const file = (name: string) => path.join(dir, name);
		writeFileSync(file('A.md'), 'A before\n');
		writeFileSync(file('B.md'), 'B before\n');
		const guard = new PullGuard();
		guard.snapshot(dir, state);
		// The pull: A updated, C created, B updated, the state written.
		writeFileSync(file('A.md'), 'A pulled\n');
		writeFileSync(file('B.md'), 'B pulled\n');
		writeFileSync(file('C.md'), 'C pulled\n');
		writeFileSync(state, '{}\n');
		guard.pulled(dir, state);
		// A person saves B and makes D before the run refuses.
		writeFileSync(file('B.md'), 'B mine\n');
		writeFileSync(file('D.md'), 'D mine\n');
		guard.undo();
		expect(readFileSync(file('A.md'), 'utf8')).toBe('A before\n');
		expect(readFileSync(file('B.md'), 'utf8')).toBe('B mine\n');
		expect(existsSync(file('C.md'))).toBe(false);
		expect(readFileSync(file('D.md'), 'utf8')).toBe('D mine\n');
		expect(existsSync(state)).toBe(false);
	});
});
