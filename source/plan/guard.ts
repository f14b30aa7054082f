/**
 * The plan's guard. Plan agents only read: sandboxed, their checkout is
 * read-only; unsandboxed, this is what catches a write. After every agent it
 * compares what defines done (base, the tracker, the config, the prompts) and
 * the person's checkout with the snapshot taken before the first one ran.
 */
import {createHash} from 'node:crypto';
import {existsSync, readdirSync, readFileSync, statSync} from 'node:fs';
import path from 'node:path';
import {runGit} from '../git/index.js';
import {LEDGER_BRANCH} from '../git/ledger.js';
import {ensureExcluded} from '../git/worktrees.js';
import {GitControl} from '../core/git-control.js';

/** What must not move, hashed by name; and git's control files (the engine's own list: filters, drivers, includes). */
export type PlanSnapshot = Map<string, string> & {gitControl?: GitControl};

/** A file's or a directory tree's names and contents, hashed; 'absent' when there is none. */
function hashTree(top: string): string {
	if (!existsSync(top)) return 'absent';
	const hash = createHash('sha256');
	const walk = (at: string, rel: string) => {
		if (!statSync(at).isDirectory()) {
			hash.update(`${rel}\0`).update(readFileSync(at));
			return;
		}
		for (const name of readdirSync(at).sort()) walk(path.join(at, name), `${rel}/${name}`);
	};
	walk(top, '');
	return hash.digest('hex');
}

/** What must not move while the plan's agents run, each under the name a message says. */
export async function snapshotPlanState(root: string, base: string, trackerDir: string): Promise<PlanSnapshot> {
	// proofloop's own line in info/exclude (its checkouts) is written before the snapshot, not during the plan.
	await ensureExcluded(root);
	const snapshot: PlanSnapshot = await stateHashes(root, base, trackerDir);
	snapshot.gitControl = new GitControl(root);
	return snapshot;
}

async function stateHashes(root: string, base: string, trackerDir: string): Promise<Map<string, string>> {
	const git = async (args: string[]) => (await runGit(root, args)).stdout.trim();
	return new Map([
		[`base (${base})`, await git(['rev-parse', '--verify', '--quiet', `refs/heads/${base}`])],
		// The merge queue's ledger is the oracle's evidence of every done and every gate.
		[`the ledger (${LEDGER_BRANCH})`, await git(['rev-parse', '--verify', '--quiet', `refs/heads/${LEDGER_BRANCH}`])],
		[`the tracker (${trackerDir})`, hashTree(path.resolve(root, trackerDir))],
		['.proofloop/config.json', hashTree(path.join(root, '.proofloop', 'config.json'))],
		['.proofloop/prompts', hashTree(path.join(root, '.proofloop', 'prompts'))],
		['your checkout (HEAD)', await git(['rev-parse', '--verify', '--quiet', 'HEAD'])],
		// The plan's own directory is proofloop's, not the person's.
		[
			'your checkout (git status)',
			(await git(['status', '--porcelain=v1', '-uall']))
				.split('\n')
				.filter(line => !line.slice(3).startsWith('.proofloop/plans/'))
				.join('\n'),
		],
		// info/exclude too: a pattern added with an untracked file hides that file from the status above.
		[
			'git hooks, config and info/exclude',
			hashTree(path.join(root, '.git', 'hooks')) + hashTree(path.join(root, '.git', 'config')) + hashTree(path.join(root, '.git', 'info', 'exclude')),
		],
	]);
}

/** The names of what changed since `before`; empty when nothing did. */
export async function movedSince(before: PlanSnapshot, root: string, base: string, trackerDir: string): Promise<string[]> {
	const now = await stateHashes(root, base, trackerDir);
	const moved = [...before].filter(([name, value]) => now.get(name) !== value).map(([name]) => name);
	const control = before.gitControl?.change();
	if (control) moved.push(`git's control files (${control.slice(0, control.indexOf(' since the run started'))})`);
	return moved;
}

/** What an agent left in its read-only checkout: git status lines, ignored files included. */
export async function checkoutWrites(checkout: string): Promise<string[]> {
	const status = await runGit(checkout, ['status', '--porcelain=v1', '-uall', '--ignored']);
	if (status.exitCode !== 0) return [`git status failed in ${checkout}: ${status.stderr.trim()}`];
	return status.stdout.split('\n').filter(line => line.trim() !== '');
}
