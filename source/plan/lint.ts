/**
 * The readiness lint: no ticket is written that an unattended worker could
 * not finish. Each refusal names the ticket and the reason, so the planner
 * can fix it in the next round and a person can read what still fails.
 */
import {findCycle} from '../tracker/graph.js';
import type {PlannedTicket} from './schema.js';
import {weakChecks} from './weak-checks.js';

export type LintFinding = {key: string; reason: string};

export type LintLimits = {
	/** A ticket naming more files than this is too big for one attempt. */
	maxFiles: number;
	/** Nor more acceptance criteria than this. */
	maxAcceptance: number;
	/** A breakdown of more sub-tickets than this is refused as a whole. */
	maxTickets?: number;
};

export type LintInput = {
	tickets: PlannedTicket[];
	/** Repo-relative paths of every file in base. */
	baseFiles: ReadonlySet<string>;
	/** Ids of tickets already in the tracker (a planned ticket may depend on them). */
	existingIds: ReadonlySet<string>;
	limits: LintLimits;
	/** The config's `checks`: a planned ticket's own may add to them, never drop one. */
	configChecks?: readonly string[];
	/** Tracker tickets not done: in another batch (a plan writes a new one), so a dep on one could never start. */
	openIds?: ReadonlySet<string>;
	/** The config's `locks`: \`proofloop run\` refuses a ticket holding any other. */
	declaredLocks?: readonly string[];
};

// "src/a.ts:render" and "src/a.ts#L10" name src/a.ts.
const fileOf = (hook: string): string =>
	hook
		.replace(/#L?\d+(-L?\d+)?$/, '')
		.replace(/:[^/]*$/, '')
		.replace(/^\.\//, '');

/** A directory hook ("src/metrics/") exists when some file of base is under it. */
function existsInBase(file: string, baseFiles: ReadonlySet<string>): boolean {
	if (baseFiles.has(file)) return true;
	const dir = file.endsWith('/') ? file : `${file}/`;
	for (const known of baseFiles) if (known.startsWith(dir)) return true;
	return false;
}

export function lintPlan(input: LintInput): LintFinding[] {
	const {tickets, baseFiles, existingIds, limits} = input;
	const findings: LintFinding[] = [];
	const refuse = (key: string, reason: string) => findings.push({key, reason});
	const keys = new Map<string, number>();
	for (const t of tickets) keys.set(t.key, (keys.get(t.key) ?? 0) + 1);
	// Files some ticket of the plan creates: another ticket that depends on it may name them.
	const created = new Set(tickets.flatMap(t => t.files.filter(f => f.create).map(f => fileOf(f.path))));
	for (const t of tickets) {
		if ((keys.get(t.key) ?? 0) > 1) refuse(t.key, `the key ${t.key} names ${keys.get(t.key)} tickets; give each ticket its own key`);
		if (existingIds.has(t.key)) refuse(t.key, `the key ${t.key} is already a ticket id in the tracker; choose another key`);
		if (t.scope.trim() === '') refuse(t.key, 'it has no scope: say what changes and where');
		if (t.acceptance.length === 0) refuse(t.key, 'it has no acceptance criteria: list what must be true when it is done');
		if (t.testPlan.length === 0) refuse(t.key, 'it has no test plan: say how the checks prove the acceptance');
		if (t.files.length === 0) refuse(t.key, 'it names no file where the change lands');
		for (const reason of weakChecks(t.checks, input.configChecks ?? [])) refuse(t.key, reason);
		for (const question of t.openQuestions) refuse(t.key, `it has an open question: ${question} (answer it from the code, or drop the ticket)`);
		for (const hook of t.files) {
			const file = fileOf(hook.path);
			if (!hook.create && !created.has(file) && !existsInBase(file, baseFiles))
				refuse(
					t.key,
					`it names ${hook.path}, which does not exist in base and which no ticket creates (mark it {"path": ..., "create": true} if this ticket makes it)`,
				);
		}
		for (const dep of t.deps)
			if (!keys.has(dep) && !existingIds.has(dep)) refuse(t.key, `it depends on ${dep}, which is neither a ticket of this plan nor one in the tracker`);
			else if (!keys.has(dep) && input.openIds?.has(dep))
				refuse(t.key, `it depends on ${dep}, a ticket of another batch that is not done, so it could never start; depend on this plan's tickets or done ones`);
		for (const lock of t.locks)
			if (input.declaredLocks && !input.declaredLocks.includes(lock))
				refuse(
					t.key,
					`it holds the lock ${lock}, which the config does not declare (proofloop run would refuse it); use one of: ${input.declaredLocks.join(', ') || '(none)'}`,
				);
		if (t.files.length > limits.maxFiles)
			refuse(t.key, `it is too big: it names ${t.files.length} files (the limit is plan.maxFiles = ${limits.maxFiles}); split it`);
		if (t.acceptance.length > limits.maxAcceptance)
			refuse(t.key, `it is too big: ${t.acceptance.length} acceptance criteria (the limit is plan.maxAcceptance = ${limits.maxAcceptance}); split it`);
	}
	if (limits.maxTickets !== undefined && tickets.length > limits.maxTickets)
		refuse(
			tickets[0]!.key,
			`the plan is too big: ${tickets.length} sub-tickets (the limit is plan.maxTickets = ${limits.maxTickets}); merge small ones, or plan a smaller request`,
		);
	const cycle = findCycle(new Map(tickets.map(t => [t.key, t.deps.filter(dep => keys.has(dep))])));
	if (cycle) refuse(cycle[0]!, `its dependencies close a cycle: ${cycle.join(' -> ')}; drop one of these edges`);
	return findings;
}
