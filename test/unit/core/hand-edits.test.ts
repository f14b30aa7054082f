import {describe, expect, it} from 'vitest';
import {HandEdits} from '../../../source/core/hand-edits.js';
import type {Ticket} from '../../../source/tracker/ticket.js';

const ticket = (fields: Partial<Ticket> = {}): Ticket =>
	({id: 'T-1', title: 'T-1', status: 'todo', batch: 'b', deps: [], locks: [], priority: 2, body: 'Do it.\n', text: '', file: 'T-1.md', ...fields}) as Ticket;
const writes = (n: number) => new Map([['T-1', n]]);

describe('hand edits of ticket files', () => {
	it("a change to what a person writes, with no engine write between the reads, is a hand edit naming the fields; the engine's own fields are not", () => {
		const edits = new HandEdits();
		expect(edits.observe([ticket()], writes(0), writes(0))).toEqual([]);
		expect(edits.observe([ticket({status: 'in_progress', attempts: 1})], writes(0), writes(0))).toEqual([]);
		expect(edits.observe([ticket({body: 'Do it, and test it.\n', priority: 0})], writes(0), writes(0))).toEqual([
			{ticket: 'T-1', fields: ['priority', 'body']},
		]);
		// Said once: the next read has nothing new.
		expect(edits.observe([ticket({body: 'Do it, and test it.\n', priority: 0})], writes(0), writes(0))).toEqual([]);
	});

	it('an engine write between the reads (a filing adds a dep), or one racing the read, is not a hand edit', () => {
		const edits = new HandEdits();
		edits.observe([ticket()], writes(0), writes(0));
		expect(edits.observe([ticket({deps: ['T-2']})], writes(2), writes(2))).toEqual([]);
		// Racing: the read may be from before or after the write; it only sets the baseline once writes settle.
		expect(edits.observe([ticket({deps: ['T-2', 'T-3']})], writes(2), writes(3))).toEqual([]);
		expect(edits.observe([ticket({deps: ['T-2', 'T-3']})], writes(4), writes(4))).toEqual([]);
		expect(edits.observe([ticket({deps: ['T-2', 'T-3'], title: 'renamed'})], writes(4), writes(4))).toEqual([{ticket: 'T-1', fields: ['title']}]);
	});
});
