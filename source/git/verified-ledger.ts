import {execFile} from 'node:child_process';
import {createHash} from 'node:crypto';
import {GitError} from './errors.js';
import {gitEnv} from './run.js';

// Git never checks an object's content against its id when reading. The
// engine carries the ledger's text forward into each new ledger commit, so a
// merges.jsonl rewritten under its old id would come out of the next append
// with a true hash: read commit -> tree -> blob here, each one hash-checked.

type GitObject = {id: string; type: string; content: Buffer};

function catFileBatch(root: string, names: string[]): Promise<Array<GitObject | undefined>> {
	return new Promise((resolve, reject) => {
		const child = execFile(
			'git',
			['--no-replace-objects', 'cat-file', '--batch'],
			{cwd: root, env: gitEnv({GIT_NO_REPLACE_OBJECTS: '1'}), encoding: 'buffer', maxBuffer: 1024 * 1024 * 1024},
			(error, stdout, stderr) => {
				if (error) return reject(new GitError(`reading the ledger failed: git cat-file: ${String(stderr).trim() || error.message}`));
				let pos = 0;
				resolve(
					names.map(() => {
						const newline = stdout.indexOf(10, pos);
						const header = stdout.subarray(pos, newline).toString('utf8');
						pos = newline + 1;
						const match = /^([0-9a-f]{40}|[0-9a-f]{64}) (\w+) (\d+)$/.exec(header);
						if (newline < 0 || !match) return undefined;
						const content = stdout.subarray(pos, pos + Number(match[3]));
						pos += content.length + 1;
						return {id: match[1] ?? '', type: match[2] ?? '', content};
					}),
				);
			},
		);
		child.stdin?.end(names.map(name => `${name}\n`).join(''));
	});
}

function check(object: GitObject | undefined, type: string, what: string): GitObject {
	if (object === undefined) throw new GitError(`cannot read ${what}: it is missing; fix: git fsck, then restore the ledger from a clone`);
	const algorithm = object.id.length === 64 ? 'sha256' : 'sha1';
	const actual = createHash(algorithm).update(`${object.type} ${object.content.length}\0`).update(object.content).digest('hex');
	if (actual !== object.id || object.type !== type) {
		throw new GitError(
			`git's object store is corrupt or forged: ${what} ${object.id} holds content that is not what its id says; ` +
				'fix (a person): `git fsck` names it; restore it from a clone before the next run',
		);
	}
	return object;
}

/** merges.jsonl at ledger commit `tip`, its commit, tree and blob hash-checked; undefined when the tree has no such file. */
export async function verifiedLedgerText(root: string, tip: string, file: string): Promise<string | undefined> {
	return (await verifiedLedgerFiles(root, tip, [file]))[0];
}

/** Each of `files` at ledger commit `tip` (undefined where the tree has none), read in one git call, every object hash-checked. */
export async function verifiedLedgerFiles(root: string, tip: string, files: readonly string[]): Promise<Array<string | undefined>> {
	const [commit, tree, ...blobs] = await catFileBatch(root, [tip, `${tip}^{tree}`, ...files.map(file => `${tip}:${file}`)]);
	const treeId = /^tree ([0-9a-f]+)$/m.exec(check(commit, 'commit', `the ledger commit`).content.toString('latin1'))?.[1];
	if (treeId === undefined || tree?.id !== treeId) throw new GitError(`the ledger commit ${tip} names no readable tree; fix: git fsck`);
	const {content} = check(tree, 'tree', 'the ledger tree');
	const width = tree.id.length / 2;
	const entries = new Map<string, string>();
	for (let pos = 0; pos < content.length;) {
		const nul = content.indexOf(0, pos);
		if (nul < 0) break;
		entries.set(content.subarray(content.indexOf(32, pos) + 1, nul).toString('utf8'), content.subarray(nul + 1, nul + 1 + width).toString('hex'));
		pos = nul + 1 + width;
	}
	return files.map((file, i) => {
		const id = entries.get(file);
		if (id === undefined) return undefined;
		if (blobs[i]?.id !== id) throw new GitError(`${file} at ledger commit ${tip} is not the blob its tree names; fix: git fsck`);
		return check(blobs[i], 'blob', `the ledger's ${file}`).content.toString('utf8');
	});
}
