import {existsSync} from 'node:fs';
import path from 'node:path';
import {execaSync} from 'execa';

/** The merge queue's record (refs/heads/proofloop-ledger:merges.jsonl) holding these merges, as the engine writes it; makes `root` a git repo if it is not one. */
export function recordMerges(root: string, merges: Array<{ticket: string; merge: string; run?: string}>): void {
	const git = (args: string[], input?: string) => execaSync('git', args, {cwd: root, ...(input === undefined ? {} : {input})}).stdout.trim();
	if (!existsSync(path.join(root, '.git'))) git(['init', '-q', '-b', 'main']);
	const lines = merges.map(m => JSON.stringify({ticket: m.ticket, merge: m.merge, run: m.run ?? 'run-1'})).join('\n');
	const blob = git(['hash-object', '-w', '--stdin'], `${lines}\n`);
	const tree = git(['mktree'], `100644 blob ${blob}\tmerges.jsonl\n`);
	const commit = git(['-c', 'user.name=t', '-c', 'user.email=t@example.invalid', 'commit-tree', tree, '-m', 'ledger']);
	git(['update-ref', 'refs/heads/proofloop-ledger', commit]);
}
