import path from 'node:path';
import {writeFileAtomic} from '../atomic-write.js';
import {setFrontMatterFields} from '../front-matter-write.js';
import {findCycle} from '../graph.js';
import {TrackerError} from '../tracker.js';
import {parseTicketCached, validateTickets} from '../validate.js';
import {SyncInputError, type RemoteIssue, type RemoteSnapshot} from './source.js';
import type {SyncState} from './state.js';
import {readTicketFiles, withBody, type SyncFile} from './ticket-files.js';
import {editedSincePull, pulledPart} from './pull-edits.js';

// remote -> ticket files. The whole new tracker is built in memory and checked
// the way the tracker and the oracle read it before one file is written; then
// only the files whose text changed are written (atomically). Statuses and the
// engine's evidence are never pulled: the files are the live store.

export type PullMapping = {idPrefix: string; lockLabels: Record<string, string>; batchLabels: Record<string, string>; batch: string};
export type PullResult = {created: string[]; updated: string[]; unchanged: number; warnings: string[]};

export {SyncInputError} from './source.js';

export async function applyPull(opts: {
	root: string;
	dir: string;
	snapshot: RemoteSnapshot;
	mapping: PullMapping;
	state: SyncState;
	dryRun?: boolean;
}): Promise<PullResult> {
	const {snapshot, mapping, state} = opts;
	refuseRemoteCycle(snapshot.issues);
	const files = readTicketFiles(opts.root, opts.dir);
	const warnings = [...snapshot.warnings];
	// Which ticket each remote issue is: its `source:`, or an issue a push made for a filed ticket.
	const byKey = new Map<string, SyncFile>();
	for (const f of files) {
		const key = f.ticket?.source ?? (f.ticket ? state.created[f.ticket.id] : undefined);
		if (key) byKey.set(key, f);
	}
	const taken = new Set(files.flatMap(f => (f.ticket ? [f.ticket.id] : [])));
	const idOf = new Map<string, string>();
	for (const issue of snapshot.issues) {
		const existing = byKey.get(issue.key)?.ticket?.id;
		let id = existing ?? `${mapping.idPrefix}${issue.key.replace(/^[a-z]+[#:]/, '')}`;
		// A worker's filing takes the next id of its filer's series (GH-3 from GH-1), which may be an issue's: the issue gets GH-3-2.
		if (!existing && taken.has(id)) {
			let n = 2;
			while (taken.has(`${id}-${n}`)) n++;
			warnings.push(`${issue.label} becomes ticket ${id}-${n}: ${id} is another ticket's`);
			id = `${id}-${n}`;
		}
		taken.add(id);
		idOf.set(issue.key, id);
	}
	const lockNames = new Set(Object.values(mapping.lockLabels));
	const next = new Map(files.map(f => [f.file, f.text]));
	const created: string[] = [];
	const updated: string[] = [];
	const kept = new Set<string>();
	for (const issue of snapshot.issues) {
		const id = idOf.get(issue.key)!;
		const current = byKey.get(issue.key);
		const remoteDeps = issue.blockedBy.flatMap(key => {
			const dep = idOf.get(key) ?? byKey.get(key)?.ticket?.id;
			if (dep === undefined) warnings.push(`${issue.label} is blocked by ${key}, which has no ticket: not a dep`);
			return dep === undefined ? [] : [dep];
		});
		// Deps on tickets no remote knows (a filed ticket not pushed yet) are the files' own: kept.
		const localDeps = (current?.ticket?.deps ?? []).filter(dep => {
			const other = files.find(f => f.ticket?.id === dep)?.ticket;
			return other !== undefined && other.source === undefined && state.created[other.id] === undefined;
		});
		const deps = [...new Set([...remoteDeps, ...localDeps])];
		const labelLocks = issue.labels.flatMap(l => (mapping.lockLabels[l] ? [mapping.lockLabels[l]] : []));
		const locks = [...new Set([...(current?.ticket?.locks ?? []).filter(l => !lockNames.has(l)), ...labelLocks])];
		const labelBatch = issue.labels.map(l => mapping.batchLabels[l]).find(b => b !== undefined);
		const fields = {title: issue.title, deps, locks, source: issue.key, ...(labelBatch ? {batch: labelBatch} : {})};
		if (current) {
			const text = withBody(setFrontMatterFields(current.text, fields), issue.body);
			if (text !== current.text) {
				if (editedSincePull(state, current.file, current.text) && pulledPart(current.file, text) !== pulledPart(current.file, current.text)) {
					kept.add(current.file);
					warnings.push(
						`${current.file}: your edits to its title, locks or body since the last pull are kept; ${issue.label} says otherwise and was not pulled into it` +
							` (fix: put your edit on the remote, or undo it in the file, then pull again)`,
					);
					continue;
				}
				next.set(current.file, text);
				updated.push(id);
			}
			continue;
		}
		const file = `${opts.dir}/${id}.md`;
		const fresh = setFrontMatterFields('---\n---\n', {
			id,
			title: issue.title,
			status: 'todo',
			batch: labelBatch ?? mapping.batch,
			deps,
			locks,
			source: issue.key,
		});
		next.set(file, withBody(fresh, issue.body));
		created.push(id);
	}
	// A filed ticket whose issue a push made gets its `source:` even when the selection does not find that issue.
	for (const f of files) {
		const key = f.ticket && !f.ticket.source ? state.created[f.ticket.id] : undefined;
		if (!key || snapshot.issues.some(i => i.key === key)) continue;
		next.set(f.file, setFrontMatterFields(f.text, {source: key}));
		updated.push(f.ticket!.id);
	}
	const {issues} = validateTickets([...next].map(([file, text]) => ({file, text})));
	if (issues.length > 0) throw new TrackerError(issues.map(i => ({...i, message: `after the pull: ${i.message}`})));
	// What this pull leaves in each synced file; a file kept as the person edited it keeps its older mark.
	for (const [file, text] of next) {
		const parsed = kept.has(file) ? undefined : parseTicketCached({file, text});
		if (parsed?.ok && parsed.ticket.source) state.pulled[file] = pulledPart(file, text);
	}
	if (!opts.dryRun) {
		const before = new Map(files.map(f => [f.file, f.text]));
		for (const [file, text] of next) if (before.get(file) !== text) await writeFileAtomic(path.join(opts.root, file), text);
	}
	return {created, updated, unchanged: snapshot.issues.length - created.length - updated.filter(id => [...idOf.values()].includes(id)).length, warnings};
}

/** A cycle of blocked-by links on the remote is refused whole, named by the issues. */
function refuseRemoteCycle(issues: RemoteIssue[]): void {
	const labels = new Map(issues.map(i => [i.key, i.label]));
	const edges = new Map(issues.map(i => [i.key, i.blockedBy.filter(k => labels.has(k))]));
	const cycle = findCycle(edges);
	if (!cycle) return;
	throw new SyncInputError(
		`the remote's dependencies form a cycle: ${cycle.map(k => labels.get(k) ?? k).join(' -> ')} (each blocked by the next); nothing was written\n` +
			'  fix: remove one of these "blocked by" links on the remote, then pull again',
	);
}
