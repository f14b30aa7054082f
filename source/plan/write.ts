/**
 * The plan, written: the master and its sub-tickets as `todo` ticket files in
 * a new batch, with the tracker's next ids, checked together with every
 * ticket already there before the first file is written. All or nothing.
 */
import {existsSync, readdirSync, readFileSync} from 'node:fs';
import {rm} from 'node:fs/promises';
import path from 'node:path';
import {writeFileAtomic} from '../tracker/atomic-write.js';
import {serializeValue} from '../tracker/front-matter-write.js';
import {nextTicketId} from '../tracker/scaffold.js';
import type {TicketFile} from '../tracker/validate.js';
import {validateTickets} from '../tracker/validate.js';
import type {Findings, MasterDraft, PlannedTicket} from './schema.js';

export type WrittenTicket = {id: string; key: string; file: string; title: string};

/** The tracker's files as they are now. */
export function trackerFiles(root: string, trackerDir: string): TicketFile[] {
	const dir = path.resolve(root, trackerDir);
	if (!existsSync(dir)) return [];
	return readdirSync(dir)
		.filter(name => name.endsWith('.md') && !name.startsWith('.'))
		.map(name => ({file: `${trackerDir}/${name}`, text: readFileSync(path.join(dir, name), 'utf8')}));
}

const field = (key: string, value: unknown): string => `${key}: ${serializeValue(key, value)}`;
const bullets = (items: string[]): string => (items.length > 0 ? items.map(item => `- ${item}`).join('\n') : '- (none)');

function frontMatter(fields: Record<string, unknown>): string {
	const lines = Object.entries(fields)
		.filter(([, value]) => value !== undefined)
		.map(([key, value]) => field(key, value));
	return ['---', ...lines, '---'].join('\n');
}

function subTicketText(t: PlannedTicket, id: string, batch: string, idOf: (key: string) => string): string {
	const files = t.files.map(f => `\`${f.path}\`${f.create ? ' (new)' : ''}`);
	return [
		frontMatter({
			id,
			title: t.title,
			status: 'todo',
			batch,
			deps: t.deps.map(idOf),
			locks: t.locks,
			priority: 2,
			checks: t.checks,
			size: t.size,
			labels: t.labels,
			demo: t.demo,
		}),
		'## Scope',
		'',
		t.scope.trim(),
		'',
		'## Acceptance',
		'',
		bullets(t.acceptance),
		'',
		'## Where the change lands',
		'',
		bullets(files),
		'',
		'## Test plan',
		'',
		bullets(t.testPlan),
		'',
	].join('\n');
}

function masterText(master: MasterDraft, findings: Findings[], id: string, batch: string, subs: WrittenTicket[], request: string): string {
	const research = findings.flatMap(f => f.findings.map(item => `${f.angle}: ${item.text} (${item.cites.join(', ')})`));
	return [
		frontMatter({id, title: master.title, status: 'todo', batch, deps: subs.map(s => s.id), locks: [], priority: 2, checks: master.checks, demo: master.demo}),
		'## Requirement',
		'',
		master.requirement,
		'',
		'## The request',
		'',
		request
			.trim()
			.split('\n')
			.map(line => `> ${line}`)
			.join('\n'),
		'',
		'## Acceptance',
		'',
		'Done when every sub-ticket below is done and an end-to-end check of this acceptance is in the repository and passes:',
		'',
		bullets(master.acceptance),
		'',
		'## Sub-tickets',
		'',
		bullets(subs.map(s => `${s.id}: ${s.title}`)),
		'',
		'## Context found in the code',
		'',
		bullets(master.context),
		'',
		'## Out of scope',
		'',
		bullets(master.outOfScope),
		'',
		'## Research',
		'',
		bullets(research),
		'',
	].join('\n');
}

/** The files the plan would write, checked with the tracker; throws with the tracker's issues when they would not read. */
export function renderPlan(opts: {
	root: string;
	trackerDir: string;
	batch: string;
	request: string;
	master: MasterDraft;
	findings: Findings[];
	tickets: PlannedTicket[];
}): {files: TicketFile[]; master: WrittenTicket; subs: WrittenTicket[]} {
	const existing = trackerFiles(opts.root, opts.trackerDir);
	const taken = new Set(validateTickets(existing).tickets.map(t => t.id));
	const next = () => {
		const id = nextTicketId(taken);
		taken.add(id);
		return id;
	};
	const masterId = next();
	const ids = new Map(opts.tickets.map(t => [t.key, next()]));
	// A key that is not the plan's is an id already in the tracker (the lint allowed it).
	const idOf = (key: string) => ids.get(key) ?? key;
	const subs = opts.tickets.map(t => ({id: idOf(t.key), key: t.key, file: `${opts.trackerDir}/${idOf(t.key)}.md`, title: t.title}));
	const files = opts.tickets.map((t, i) => ({file: subs[i]!.file, text: subTicketText(t, subs[i]!.id, opts.batch, idOf)}));
	const master = {id: masterId, key: 'master', file: `${opts.trackerDir}/${masterId}.md`, title: opts.master.title};
	files.unshift({file: master.file, text: masterText(opts.master, opts.findings, masterId, opts.batch, subs, opts.request)});
	const issues = validateTickets([...existing, ...files]).issues.filter(issue => files.some(f => f.file === issue.file));
	if (issues.length > 0) throw new Error(`the planned tickets would not read:\n${issues.map(i => `  ${i.file}: ${i.message}`).join('\n')}`);
	return {files, master, subs};
}

/** Writes every file or, on a failure part way, removes the ones it wrote. */
export async function writePlan(root: string, files: TicketFile[]): Promise<void> {
	const written: string[] = [];
	try {
		for (const f of files) {
			const target = path.join(root, f.file);
			if (existsSync(target)) throw new Error(`${f.file} appeared while the plan was written; nothing of the plan is kept`);
			await writeFileAtomic(target, f.text);
			written.push(target);
		}
	} catch (error) {
		for (const file of written) await rm(file, {force: true});
		throw error;
	}
}
