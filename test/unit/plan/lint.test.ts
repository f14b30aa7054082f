import {describe, expect, it} from 'vitest';
import {lintPlan} from '../../../source/plan/lint.js';
import {PlannedTicket} from '../../../source/plan/schema.js';

const base = new Set(['README.md', 'src/app.ts', 'src/metrics/index.ts']);
const limits = {maxFiles: 4, maxAcceptance: 2};
const t = (key: string, over: Record<string, unknown> = {}) =>
	PlannedTicket.parse({key, title: key, scope: 'a change', acceptance: ['it works'], files: ['src/app.ts'], testPlan: ['a test'], ...over});
const lint = (tickets: PlannedTicket[], existing: string[] = []) =>
	lintPlan({tickets, baseFiles: base, existingIds: new Set(existing), limits}).map(f => `${f.key}: ${f.reason}`);

describe('the readiness lint', () => {
	it('passes a ready plan: files that exist, by symbol, line or directory, created by itself or by another ticket, deps on the plan and the tracker', () => {
		expect(
			lint(
				[
					t('a', {files: ['src/app.ts:render', 'README.md#L3', 'src/metrics/', {path: 'src/new.ts', create: true}]}),
					t('b', {deps: ['a', 'T-9'], files: ['src/new.ts']}),
				],
				['T-9'],
			),
		).toEqual([]);
	});

	it('refuses what an unattended worker could not finish, each with its reason', () => {
		const found = lint([
			t('none', {acceptance: [], testPlan: [], scope: ' ', files: []}),
			t('asks', {openQuestions: ['which pager?']}),
			t('ghost', {files: ['src/gone.ts']}),
			t('orphan', {deps: ['nobody']}),
			t('big', {files: ['README.md', 'src/app.ts', 'src/metrics/index.ts', 'src/metrics/', 'src/app.ts:x'], acceptance: ['1', '2', '3']}),
		]);
		expect(found).toEqual([
			'none: it has no scope: say what changes and where',
			'none: it has no acceptance criteria: list what must be true when it is done',
			'none: it has no test plan: say how the checks prove the acceptance',
			'none: it names no file where the change lands',
			'asks: it has an open question: which pager? (answer it from the code, or drop the ticket)',
			expect.stringMatching(/^ghost: it names src\/gone.ts, which does not exist in base and which no ticket creates/),
			'orphan: it depends on nobody, which is neither a ticket of this plan nor one in the tracker',
			'big: it is too big: it names 5 files (the limit is plan.maxFiles = 4); split it',
			'big: it is too big: 3 acceptance criteria (the limit is plan.maxAcceptance = 2); split it',
		]);
	});

	it('refuses a plan of more sub-tickets than plan.maxTickets, as a whole', () => {
		const many = ['a', 'b', 'c'].map(key => t(key));
		const at = (maxTickets: number) => lintPlan({tickets: many, baseFiles: base, existingIds: new Set(), limits: {...limits, maxTickets}}).map(f => f.reason);
		expect(at(3)).toEqual([]);
		expect(at(2)).toEqual(['the plan is too big: 3 sub-tickets (the limit is plan.maxTickets = 2); merge small ones, or plan a smaller request']);
	});

	it('refuses a cycle, a duplicate key and a key the tracker already uses', () => {
		expect(lint([t('a', {deps: ['c']}), t('b', {deps: ['a']}), t('c', {deps: ['b']})])).toEqual([
			'a: its dependencies close a cycle: a -> c -> b -> a; drop one of these edges',
		]);
		expect(lint([t('a'), t('a')])).toContain('a: the key a names 2 tickets; give each ticket its own key');
		expect(lint([t('T-1')], ['T-1'])).toEqual(['T-1: the key T-1 is already a ticket id in the tracker; choose another key']);
	});
});
