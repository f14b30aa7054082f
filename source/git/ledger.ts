/**
 * The merge queue's ledger: the only evidence of done that an agent cannot
 * make by writing a commit message or a ticket file. Every ticket the engine
 * finishes gets one line in merges.jsonl at the tip of the branch
 * proofloop-ledger (outside refs/heads/proofloop/, the one ref directory a
 * sandboxed agent may write), so it travels with a clone and the oracle reads
 * it. A person's gates and ungates go beside it, in gates.jsonl of the same
 * tree (gate-ledger.ts). Appended with plumbing (no checkout) and a
 * compare-and-swap of the ref, under the repo's ledger mutex (Repo.recordMerge).
 */
import {GitError, briefStderr} from './errors.js';
import {identityEnv} from './identity.js';
import {looseObjectStore, treeContent, writeLooseObject} from './loose-object.js';
import {looseRefHolds} from './ref-files.js';
import {revParse} from './refs.js';
import {mustGit, runGit} from './run.js';
import {verifiedLedgerFiles} from './verified-ledger.js';
import {knownCommonDir} from './worktrees.js';

export const LEDGER_BRANCH = 'proofloop-ledger';
export const LEDGER_REF = `refs/heads/${LEDGER_BRANCH}`;
/** What a fresh clone has until the engine writes the local branch (the oracle reads it too). */
export const REMOTE_LEDGER_REF = `refs/remotes/origin/${LEDGER_BRANCH}`;
const LEDGER_FILE = 'merges.jsonl';
/** Every gate and ungate a person made, beside the merges in the same tree (gate-ledger.ts). */
export const GATES_FILE = 'gates.jsonl';
const ZERO = '0'.repeat(40);
// Objects and the ref reach the disk before update-ref returns: the ticket's `done` is written after.
const FSYNC = ['-c', 'core.fsync=committed', '-c', 'core.fsyncMethod=fsync'];
// No repository hook (reference-transaction) runs inside the ledger's ref update.
const NO_HOOKS = ['-c', 'core.hooksPath=/dev/null'];

export type LedgerRecord = {ticket: string; attempt: number; merge: string; verify_digest: string; run: string; at: string};
export type LedgerAppend = {kind: 'appended' | 'present'; sha: string};
/** The ledger's two files as text, each line ending in a newline. */
export type LedgerFiles = {merges: string; gates: string};

/** The ledger moved by someone other than this engine: nothing is appended on top of it (the run halts). */
export class LedgerMovedError extends GitError {
	constructor(readonly tip: string) {
		super(
			`TAMPER: ${LEDGER_REF} is at ${tip.slice(0, 12)}, not where the engine last saw or wrote it: ` +
				`something else wrote the merge queue's ledger during the run, and the oracle reads what is there (fix: ` +
				`inspect \`git log -p ${LEDGER_REF}\` and \`git reflog ${LEDGER_REF}\`, and reset it to the engine's last commit; only the engine writes that branch)`,
		);
	}
}

/**
 * Where this engine last saw or left the ledger (and its files, once read), so
 * an append reads git once, and a move by anyone else is noticed.
 */
const known = new Map<string, {tip: string | undefined; files?: LedgerFiles; local?: boolean}>();
/** Per root, odd while an append is under way: a look that overlapped one cannot tell our move from a foreign one. */
const appending = new Map<string, number>();
const bump = (root: string) => appending.set(root, (appending.get(root) ?? 0) + 1);

/** Remember where the ledger is now: from here on, a move this engine did not make is someone else's. */
export async function watchLedger(root: string): Promise<void> {
	known.set(root, {tip: await currentLedgerTip(root)});
}

/** The ledger's tip when it is not where this engine last saw or left it. */
export async function ledgerMovedBySomeoneElse(root: string): Promise<string | undefined> {
	const generation = appending.get(root) ?? 0;
	if (generation % 2 === 1 || !known.has(root)) return undefined;
	// Asked every second: a loose ref file still holding the known tip is git's own answer, without a process.
	const tip = known.get(root)?.tip;
	const common = knownCommonDir(root);
	if (tip !== undefined && common !== undefined && looseRefHolds(common, LEDGER_REF, tip)) return undefined;
	// Origin's while there is no local branch: what the oracle and the first append read.
	const now = await currentLedgerTip(root);
	if (generation !== (appending.get(root) ?? 0)) return undefined;
	return now === known.get(root)?.tip ? undefined : (now ?? '(deleted)');
}

const withNewline = (text: string) => (text === '' || text.endsWith('\n') ? text : `${text}\n`);

/** Both files at `tip` (none before the first record), hash-checked; gates.jsonl is absent until the first gate. */
export async function ledgerFiles(root: string, tip: string | undefined): Promise<LedgerFiles> {
	if (tip === undefined) return {merges: '', gates: ''};
	const cached = known.get(root);
	if (cached?.tip === tip && cached.files !== undefined) return cached.files;
	// Hash-checked (a forged blob would be carried into the next commit with a true id), replace refs off.
	const [merges, gates = ''] = await verifiedLedgerFiles(root, tip, [LEDGER_FILE, GATES_FILE]);
	// Never start the record over: a ledger that cannot be read is an error, not an empty one.
	if (merges === undefined) {
		throw new GitError(
			`cannot read ${LEDGER_FILE} at ${tip.slice(0, 12)} (${LEDGER_REF}): it has no such file; fix: ` +
				`reset ${LEDGER_REF} to the engine's last ledger commit (git reflog ${LEDGER_REF}), then resume`,
		);
	}
	return {merges: withNewline(merges), gates: withNewline(gates)};
}

/** The ledger the oracle reads: the local branch, else (a fresh clone) origin's. */
export async function currentLedgerTip(root: string): Promise<string | undefined> {
	return (await revParse(root, LEDGER_REF)) ?? (await revParse(root, REMOTE_LEDGER_REF));
}

/** A record with the same ticket, merge and digest (a resume redoing an append cut by a crash). */
function holds(text: string, record: LedgerRecord): boolean {
	if (!text.includes(record.merge)) return false;
	return text.split('\n').some(line => {
		if (!line.includes(record.merge)) return false;
		try {
			const old = JSON.parse(line) as Partial<LedgerRecord>;
			return old.ticket === record.ticket && old.merge === record.merge && old.verify_digest === record.verify_digest;
		} catch {
			return false;
		}
	});
}

/**
 * Append `record` unless an equal one is there (idempotent, so a resume may
 * redo it). The caller holds the ledger mutex. A branch that is not where this
 * engine last left it was written by someone else: LedgerMovedError, nothing appended.
 */
export function appendLedger(root: string, record: LedgerRecord): Promise<LedgerAppend> {
	const message = `proofloop: ledger ${record.ticket} attempt ${record.attempt}\n\nmerge ${record.merge}\nverify ${record.verify_digest}\nrun ${record.run}\n`;
	return appendLine(root, {
		file: 'merges',
		line: JSON.stringify(record),
		present: files => holds(files.merges, record),
		message,
		what: `${record.ticket}'s merge`,
	});
}

/** Append a gate or ungate record (gate-ledger.ts); same mutex, CAS and foreign-move rule as a merge. */
export function appendGateLine(root: string, ticket: string, line: string, message: string): Promise<LedgerAppend> {
	return appendLine(root, {file: 'gates', line, present: () => false, message, what: `${ticket}'s gate`});
}

type Append = {file: keyof LedgerFiles; line: string; present: (files: LedgerFiles) => boolean; message: string; what: string};

async function appendLine(root: string, add: Append): Promise<LedgerAppend> {
	bump(root);
	try {
		return await append(root, add);
	} finally {
		bump(root);
	}
}

async function append(root: string, add: Append): Promise<LedgerAppend> {
	for (let attempt = 1; attempt <= 5; attempt++) {
		const last = known.get(root);
		// After this engine's own append the branch is where it left it, or the swap below fails and the next try reads it.
		const old = attempt === 1 && last?.local ? last.tip : await revParse(root, LEDGER_REF);
		// A fresh clone continues the ledger it was cloned with, which is watched as the branch is.
		const parent = old ?? (await revParse(root, REMOTE_LEDGER_REF));
		if (last !== undefined && parent !== last.tip) throw new LedgerMovedError(parent ?? '(deleted)');
		const files = await ledgerFiles(root, parent);
		if (add.present(files)) {
			// Found without reading the branch: one read proves it is still where this engine left it.
			if (old === last?.tip && attempt === 1 && last?.local && (await revParse(root, LEDGER_REF)) !== old) continue;
			return {kind: 'present', sha: parent ?? ''};
		}
		const next = {...files, [add.file]: `${files[add.file]}${add.line}\n`};
		const tree = await writeTree(root, next);
		const commit = (
			await mustGit(root, [...FSYNC, 'commit-tree', tree, ...(parent ? ['-p', parent] : []), '-F', '-'], 'writing the ledger commit failed', undefined, {
				input: add.message,
				env: await identityEnv(root),
			})
		).trim();
		const cas = await runGit(root, [
			...FSYNC,
			...NO_HOOKS,
			'update-ref',
			'-m',
			add.message.split('\n')[0] ?? 'proofloop: ledger',
			LEDGER_REF,
			commit,
			old ?? ZERO,
		]);
		if (cas.exitCode === 0) {
			known.set(root, {tip: commit, files: next, local: true});
			return {kind: 'appended', sha: commit};
		}
		if ((await revParse(root, LEDGER_REF)) === old) {
			throw new GitError(
				`recording ${add.what} in ${LEDGER_REF} failed: ${briefStderr(cas.stderr)}; fix: ` +
					`if git names a stale .lock file under .git/refs and no git process is running, delete it, then resume the run`,
			);
		}
	}
	throw new GitError(`could not record ${add.what}: ${LEDGER_REF} moved under every try; fix: stop whatever writes that branch during the run, then resume`);
}

/** merges.jsonl always (the oracle's first file), gates.jsonl once there is a gate. */
async function writeTree(root: string, files: LedgerFiles): Promise<string> {
	const named: {name: string; text: string}[] = [{name: LEDGER_FILE, text: files.merges}];
	if (files.gates !== '') named.unshift({name: GATES_FILE, text: files.gates});
	// Written by the engine itself where it can (loose-object.ts): two git processes fewer per record.
	const store = await looseObjectStore(root);
	if (store) {
		const entries = [];
		for (const {name, text} of named) entries.push({name, oid: await writeLooseObject(store, 'blob', Buffer.from(text))});
		return writeLooseObject(store, 'tree', treeContent(entries));
	}
	const blob = async (text: string) =>
		(await mustGit(root, [...FSYNC, 'hash-object', '-w', '--stdin'], 'writing the ledger record failed', undefined, {input: text})).trim();
	const entries: string[] = [];
	for (const {name, text} of named) entries.push(`100644 blob ${await blob(text)}\t${name}\n`);
	return (await mustGit(root, [...FSYNC, 'mktree'], 'writing the ledger tree failed', undefined, {input: entries.join('')})).trim();
}
