import {readdirSync, readFileSync} from 'node:fs';
import path from 'node:path';
import {sha256} from '../lib/sha256.js';
import {runGit} from './run.js';

/**
 * The proof that a reused checkout holds exactly one commit's tree and nothing
 * else, whatever ran there before. Git's stat checks are forced to their
 * strictest (a user's `core.trustctime=false` or `core.ignoreStat` would let a
 * rewritten file pass, an fsmonitor hook would answer for it), and the mode bits count.
 */
export const STRICT_STAT = [
	'-c',
	'core.trustctime=true',
	'-c',
	'core.checkStat=default',
	'-c',
	'core.ignoreStat=false',
	'-c',
	'core.fileMode=true',
	'-c',
	'core.sparseCheckout=false',
	'-c',
	'core.untrackedCache=false',
	// No hook may answer "nothing changed" for git, and every index git writes here stands alone (no shared index file elsewhere).
	'-c',
	'core.fsmonitor=false',
	'-c',
	'core.splitIndex=false',
];

/**
 * What `ls-files -z -v --stage -m -d -o --directory` says about a checkout
 * (pure): clean only when every record is an index entry tagged `H` (no
 * assume-unchanged `h`, no skip-worktree `S`, nothing modified `C` or
 * deleted `R`) at stage 0, and nothing else is there (`?`: untracked or
 * ignored, every one listed since no exclude rule is read; an empty directory
 * and a nested repository too). Gitlinks are returned: their directory must be
 * empty, as a fresh checkout leaves it. So are the `.gitattributes` entries:
 * a checkout that moves keeps an unchanged file as it was written, under the
 * old attributes (eol, ident, encoding), so a change there needs a fresh checkout.
 */
export function readCheckoutListing(
	listing: string,
): {kind: 'clean'; gitlinks: string[]; attributes: string} | {kind: 'untracked'; paths: string[]} | {kind: 'dirty'; why: string} {
	const gitlinks: string[] = [];
	const attributes: string[] = [];
	const untracked: string[] = [];
	for (const record of listing.split('\0')) {
		if (record === '') continue;
		const tag = record.slice(0, 2);
		if (tag === '? ') {
			untracked.push(record.slice(2));
			continue;
		}
		const entry = /^H (\d{6}) [0-9a-f]+ (\d)\t(.*)$/s.exec(record);
		if (!entry) return {kind: 'dirty', why: `not as committed: ${record}`};
		if (entry[2] !== '0') return {kind: 'dirty', why: `an unmerged entry: ${record}`};
		if (entry[1] === '160000') gitlinks.push(entry[3]!);
		if (path.posix.basename(entry[3]!) === '.gitattributes') attributes.push(record);
	}
	return untracked.length > 0 ? {kind: 'untracked', paths: untracked} : {kind: 'clean', gitlinks, attributes: attributes.join('\n')};
}

/** What a checkout's `.git` file and its gitdir's `commondir` say: where every git command run there goes. */
export function gitPointers(checkout: string): string | undefined {
	try {
		const dotGit = readFileSync(path.join(checkout, '.git'), 'utf8');
		const gitDir = /^gitdir:\s*(.+?)\s*$/m.exec(dotGit)?.[1];
		if (!gitDir) return undefined;
		return `${dotGit}\n${readFileSync(path.join(path.resolve(checkout, gitDir), 'commondir'), 'utf8')}`;
	} catch {
		return undefined;
	}
}

/** The gitdir a checkout's `.git` file names, read from the file (no git process). */
function gitDirFile(checkout: string, name: string): Buffer | undefined {
	try {
		const gitDir = /^gitdir:\s*(.+?)\s*$/m.exec(readFileSync(path.join(checkout, '.git'), 'utf8'))?.[1];
		return gitDir ? readFileSync(path.join(path.resolve(checkout, gitDir), name)) : undefined;
	} catch {
		return undefined;
	}
}

const headOf = (checkout: string): string | undefined => gitDirFile(checkout, 'HEAD')?.toString('utf8').trim();

/**
 * The digest of a checkout's index: taken when git has just written it, and
 * compared before the next use. An index rewritten in between (stat data that
 * hides an edit, an entry that keeps a planted file from `git clean`) is not trusted.
 */
export const indexDigest = (checkout: string): string | undefined => {
	const index = gitDirFile(checkout, 'index');
	return index === undefined ? undefined : sha256(index);
};

const emptyDir = (dir: string): boolean => {
	try {
		return readdirSync(dir).length === 0;
	} catch {
		return false;
	}
};

/**
 * Whether `checkout` is exactly `sha`'s tree with nothing else in it: its
 * HEAD detached at `sha`, every tracked file as committed, no untracked or
 * ignored file, no empty directory, no nested repository, gitlinks empty.
 * `untracked` lists what a `git clean` would take (the caller may clean and ask again).
 */
export async function provenAt(
	checkout: string,
	sha: string,
): Promise<{kind: 'clean'; attributes: string} | {kind: 'untracked'; paths: string[]} | {kind: 'dirty'; why: string}> {
	if (headOf(checkout) !== sha) return {kind: 'dirty', why: `HEAD is not ${sha}`};
	const listed = await runGit(checkout, [...STRICT_STAT, 'ls-files', '-z', '-v', '--stage', '-m', '-d', '-o', '--directory']);
	if (listed.exitCode !== 0) return {kind: 'dirty', why: `git ls-files failed: ${listed.stderr.trim()}`};
	const read = readCheckoutListing(listed.stdout);
	if (read.kind !== 'clean') return read;
	const full = read.gitlinks.find(link => !emptyDir(path.join(checkout, link)));
	return full === undefined ? {kind: 'clean', attributes: read.attributes} : {kind: 'dirty', why: `the submodule directory ${full} is not empty`};
}
