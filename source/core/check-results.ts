import {existsSync, writeFileSync} from 'node:fs';
import path from 'node:path';
import {runGit} from '../git/index.js';
import {forkPoint} from '../git/fork-point.js';
import {sha256} from '../lib/sha256.js';
import {runCheck} from './check-box.js';
import type {EngineContext} from './context.js';
import {isTestFile, matchesPathRule} from './finish-line-files.js';
import {pinnedTicket} from './ticket-pins.js';
import {inVerifyCheckout} from './verify-checkout.js';
import type {Ticket} from '../tracker/ticket.js';
import {readTestSummary, type TestTally} from './test-summary.js';

/**
 * A check passes only if it ran at least the tests base's run of the same
 * command ran: an exit 0 alone is also what a new file that ends the runner
 * early, or empties its sibling tests at run time, gives. Base's count comes
 * from running the command once on base per (base sha, command), kept in
 * memory (written to `<run>/baselines.json` for a person, never read back);
 * a base the engine made by merging a candidate inherits that candidate's own
 * count, so an engine pays for base runs only on the base it started from. Null: base's output has no summary we can read,
 * and the exit code alone decides (as before).
 */
type Baseline = TestTally | null;

const key = (sha: string, command: string) => `${sha} ${command}`;
const ran = (tally: TestTally) => tally.passed + tally.failed;

/** Why a check that exited 0 still does not pass; undefined: it ran at least what base ran. Pure. */
export function shortfall(command: string, candidate: TestTally | undefined, base: Baseline): string | undefined {
	if (!base) return undefined;
	const baseRan = ran(base);
	if (!candidate) {
		return (
			`\`${command}\` exited 0 but printed no ${base.runners.join('/')} summary; base's run of the same command ran ${baseRan} tests: ` +
			`the runner ended early or never ran`
		);
	}
	const missing = base.runners.filter(runner => !candidate.runners.includes(runner));
	if (missing.length > 0) {
		return `\`${command}\` printed no ${missing.join('/')} summary, as base's run of the same command did: the runner ended early or never ran`;
	}
	if (candidate.passed < baseRan) {
		return (
			`the checks ran ${candidate.passed} passing tests (\`${command}\`); base's run of the same command ran ${baseRan}: ` +
			`tests were skipped or the runner ended early`
		);
	}
	return undefined;
}

type Store = {file: string; known: Record<string, Baseline>; pending: Map<string, Promise<Baseline>>; candidates: Map<string, TestTally | undefined>};
const stores = new WeakMap<EngineContext, Store>();

function storeOf(ctx: EngineContext): Store {
	let store = stores.get(ctx);
	if (!store) {
		// Never read back: an unsandboxed agent can write the run directory, and a `null` there
		// (no summary on base) would leave the exit code alone to decide. A resume runs base again.
		store = {file: path.join(ctx.run.dir, 'baselines.json'), known: {}, pending: new Map(), candidates: new Map()};
		stores.set(ctx, store);
	}
	return store;
}

function remember(store: Store, sha: string, command: string, baseline: Baseline): void {
	store.known[key(sha, command)] = baseline;
	writeFileSync(store.file, JSON.stringify(store.known, null, 1));
}

async function baseTests(ctx: EngineContext, sha: string): Promise<string[]> {
	const listed = await runGit(ctx.repoRoot, ['ls-tree', '-r', '--name-only', '-z', sha]);
	return listed.exitCode === 0 ? listed.stdout.split('\0').filter(file => file && isTestFile(file)) : [];
}

/** Base's existing test code, bound read-only in a sandboxed check box so a new file cannot rewrite it at run time. */
async function baseTestFiles(ctx: EngineContext, sha: string, cwd: string): Promise<string[]> {
	return (await baseTests(ctx, sha))
		.filter(file => /\.(?:[cm]?[jt]sx?|py|go|rb|rs)$/.test(file))
		.map(file => path.join(cwd, file))
		.filter(file => existsSync(file));
}

/** Runs `command` on base once (a checkout of exactly base, boxed as checks are) and reads what it ran. */
async function runOnBase(ctx: EngineContext, sha: string, command: string, env: Record<string, string>, logFile: string): Promise<Baseline | undefined> {
	const name = `baseline-${sha.slice(0, 10)}-${sha256(command).slice(0, 8)}`;
	// A git control file an agent changed (a smudge filter) would run in this checkout: the run halts instead, and the merge stage stops the attempt.
	if (ctx.mergeHalt()) return undefined;
	return inVerifyCheckout(ctx, name, sha, async checkout => {
		const readOnlyFiles = await baseTestFiles(ctx, sha, checkout);
		const result = await runCheck(ctx, {command, cwd: checkout, env, logFile, label: `baseline: base ${sha.slice(0, 7)}`, readOnlyFiles});
		// A run cut short by a stop or a timeout says nothing about base: not kept, and the exit code decides this once.
		if (result.timedOut || ctx.stopping()) return undefined;
		return readTestSummary(result.output) ?? null;
	});
}

async function baselineFor(ctx: EngineContext, sha: string, command: string, env: Record<string, string>, logFile: string): Promise<Baseline> {
	const store = storeOf(ctx);
	const id = key(sha, command);
	if (id in store.known) return store.known[id] ?? null;
	// Tickets that branched from the same base wait for one run of it.
	let pending = store.pending.get(id);
	if (!pending) {
		pending = runOnBase(ctx, sha, command, env, logFile).then(baseline => {
			if (baseline === undefined) return null;
			remember(store, sha, command, baseline);
			return baseline;
		});
		store.pending.set(id, pending);
		pending.finally(() => store.pending.delete(id)).catch(() => {});
	}
	return pending;
}

export type CountedChecks = {
	/** Bind over a sandboxed check box: base's test code, read-only. */
	readOnly: string[];
	/** Why this passing check does not count (undefined: it does). */
	judge: (command: string, output: string) => Promise<string | undefined>;
	/** The candidate merged as `merge` over `baseHead`: its counts become that base's baselines. */
	merged: (merge: string, baseHead: string) => void;
};

/** The count rule for one attempt's checks, judged against the base `head` branched from. */
export async function countedChecks(
	ctx: EngineContext,
	opts: {ticket: Ticket; head: string; cwd: string; env: Record<string, string>; logFile: string},
): Promise<CountedChecks> {
	const store = storeOf(ctx);
	// The same fork point the guard diffs from (one process for both while base stays put).
	const baseSha = await forkPoint(ctx.repoRoot, ctx.repoRoot, ctx.config.base, opts.head);
	const readOnly = baseSha && ctx.sandbox ? await baseTestFiles(ctx, baseSha, opts.cwd) : [];
	// A person who lets existing tests change (allow:) may let the count drop: said out loud, not counted.
	const {allow} = pinnedTicket(ctx, opts.ticket);
	const waived = baseSha && allow.length > 0 ? (await baseTests(ctx, baseSha)).find(file => allow.some(rule => matchesPathRule(file, rule))) : undefined;
	if (waived)
		ctx.log.append({
			type: 'warning',
			ticket: opts.ticket.id,
			message:
				`${opts.ticket.id}: the checks' test count is not held to base's, because ${opts.ticket.file} allows existing tests to change (${waived}; ` +
				`allow: [${allow.join(', ')}])`,
		});
	return {
		readOnly,
		judge: async (command, output) => {
			const base = baseSha && !waived ? await baselineFor(ctx, baseSha, command, opts.env, opts.logFile) : null;
			// Only base's runners count: a test can print another runner's summary ('1 passing') to pad the sum.
			const candidate = readTestSummary(output, base?.runners);
			store.candidates.set(key(opts.head, command), candidate);
			return shortfall(command, candidate, base);
		},
		merged: (merge, baseHead) => {
			for (const [id, candidate] of store.candidates) {
				if (!id.startsWith(`${opts.head} `)) continue;
				// A count a person let drop is no bound for the merge (it holds base's other tests too): base is run for it instead.
				if (waived) {
					store.candidates.delete(id);
					continue;
				}
				const command = id.slice(opts.head.length + 1);
				const before = store.known[key(baseHead, command)];
				store.candidates.delete(id);
				// The merge holds both sides' tests: at least as many as either ran.
				if (candidate) {
					remember(store, merge, command, {
						runners: [...new Set([...candidate.runners, ...(before?.runners ?? [])])],
						passed: Math.max(candidate.passed, before ? ran(before) : 0),
						failed: 0,
					});
				} else if (before === null || (before === undefined && baseSha && store.known[key(baseSha, command)] === null)) remember(store, merge, command, null);
			}
		},
	};
}
