import {createHash} from 'node:crypto';
import {chmodSync, existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, utimesSync, writeFileSync} from 'node:fs';
import path from 'node:path';
import {afterEach, describe, expect, it} from 'vitest';
import {openRepo} from '../../../source/git/index.js';
import {readCheckoutListing} from '../../../source/git/verify-clean.js';
import {cleanup, commitFiles, git, makeRepo} from './helpers.js';

afterEach(cleanup);

/** Every file under `dir` but git's own, relative, sorted: what a verify command sees. */
function tree(dir: string): string[] {
	const out: string[] = [];
	const walk = (rel: string) => {
		for (const entry of readdirSync(path.join(dir, rel), {withFileTypes: true})) {
			const file = path.join(rel, entry.name);
			if (file === '.git') continue;
			if (entry.isDirectory()) {
				out.push(`${file}/`);
				walk(file);
			} else out.push(file);
		}
	};
	walk('');
	return out.sort();
}

/** The checkouts git knows under .proofloop/worktrees/.verify/. */
const verifyCheckouts = (root: string) =>
	git(root, 'worktree', 'list', '--porcelain')
		.split('\n')
		.filter(line => line.startsWith('worktree ') && line.includes('/.verify/'));

describe('reused verify checkouts', () => {
	it('the next use gets the same checkout at the new commit, with nothing the last use left: untracked, ignored, nested repos, edits, modes', async () => {
		const root = makeRepo({files: {'.gitignore': 'node_modules/\n*.log\n', 'src/a.txt': 'a\n', 'run.sh': 'echo hi\n'}});
		const first = git(root, 'rev-parse', 'HEAD');
		const second = commitFiles(root, {'src/b.txt': 'b\n'});
		const repo = await openRepo(root);
		const outside = makeRepo({files: {'a.txt': 'outside\n'}});

		const used = await repo.withVerifyCheckout(first, async checkout => {
			// What a hostile verify leaves for the next one.
			writeFileSync(path.join(checkout, 'feature.txt'), 'planted\n');
			mkdirSync(path.join(checkout, 'node_modules/x'), {recursive: true});
			writeFileSync(path.join(checkout, 'node_modules/x/index.js'), 'planted\n');
			writeFileSync(path.join(checkout, 'debug.log'), 'planted\n');
			mkdirSync(path.join(checkout, 'empty'));
			mkdirSync(path.join(checkout, 'nested'));
			git(path.join(checkout, 'nested'), 'init', '-q');
			writeFileSync(path.join(checkout, 'src/a.txt'), 'rewritten\n');
			chmodSync(path.join(checkout, 'run.sh'), 0o755);
			symlinkSync('/etc/passwd', path.join(checkout, 'link'));
			// A tracked directory turned into a link out of the checkout: git must not write through it.
			rmSync(path.join(checkout, 'src'), {recursive: true});
			symlinkSync(outside, path.join(checkout, 'src'));
			return checkout;
		});
		const again = await repo.withVerifyCheckout(second, async checkout => {
			expect(tree(checkout)).toEqual(['.gitignore', 'run.sh', 'src/', 'src/a.txt', 'src/b.txt']);
			expect(statSync(path.join(checkout, 'run.sh')).mode & 0o111).toBe(0);
			expect(readFileSync(path.join(checkout, 'src/a.txt'), 'utf8')).toBe('a\n');
			expect(git(checkout, 'rev-parse', 'HEAD')).toBe(second);
			expect(lstatSync(path.join(checkout, 'src')).isDirectory()).toBe(true);
			expect(readFileSync(path.join(outside, 'a.txt'), 'utf8')).toBe('outside\n');
			expect(existsSync(path.join(outside, 'b.txt'))).toBe(false);
			return checkout;
		});
		// Reused: no second checkout was made.
		expect(again).toBe(used);
		expect(verifyCheckouts(root)).toHaveLength(1);
		await repo.dropVerifyCheckouts();
		expect(verifyCheckouts(root)).toHaveLength(0);
		expect(existsSync(used)).toBe(false);
	});

	it('a checkout whose index hides an edit (assume-unchanged, skip-worktree, forged stat data) or whose .git points elsewhere is dropped, and a fresh one is used', async () => {
		const root = makeRepo({files: {'src/a.txt': 'a\n', 'src/b.txt': 'b\n'}});
		const sha = git(root, 'rev-parse', 'HEAD');
		const repo = await openRepo(root);
		const tamperings: Array<(checkout: string) => void> = [
			checkout => {
				git(checkout, 'update-index', '--assume-unchanged', 'src/a.txt');
				writeFileSync(path.join(checkout, 'src/a.txt'), 'passes\n');
			},
			checkout => {
				git(checkout, 'update-index', '--skip-worktree', 'src/b.txt');
				writeFileSync(path.join(checkout, 'src/b.txt'), 'passes\n');
			},
			// Stat data forged to match an edit, the blob id as committed: git would keep the edit and call the file clean.
			checkout => {
				const gitDir = git(checkout, 'rev-parse', '--absolute-git-dir');
				const committed = Buffer.from(git(checkout, 'rev-parse', 'HEAD:src/a.txt'), 'hex');
				writeFileSync(path.join(checkout, 'src/a.txt'), 'p\n');
				utimesSync(path.join(checkout, 'src/a.txt'), 1_000_000, 1_000_000);
				git(checkout, 'update-index', 'src/a.txt');
				const edited = Buffer.from(git(checkout, 'rev-parse', ':src/a.txt'), 'hex');
				const index = readFileSync(path.join(gitDir, 'index'));
				const body = index.subarray(0, index.length - 20);
				body.set(committed, body.indexOf(edited));
				writeFileSync(path.join(gitDir, 'index'), Buffer.concat([body, createHash('sha1').update(body).digest()]));
				expect(git(checkout, 'status', '--porcelain')).toBe('');
			},
			checkout => {
				const other = makeRepo({files: {'src/a.txt': 'passes\n', 'src/b.txt': 'passes\n'}});
				git(other, 'worktree', 'add', '-q', '--detach', path.join(other, 'wt'));
				writeFileSync(path.join(checkout, '.git'), readFileSync(path.join(other, 'wt', '.git')));
			},
		];
		let previous: string | undefined;
		for (const tamper of tamperings) {
			const used = await repo.withVerifyCheckout(sha, async checkout => {
				if (previous) expect(checkout).not.toBe(previous);
				expect(readFileSync(path.join(checkout, 'src/a.txt'), 'utf8')).toBe('a\n');
				expect(readFileSync(path.join(checkout, 'src/b.txt'), 'utf8')).toBe('b\n');
				tamper(checkout);
				return checkout;
			});
			previous = used;
		}
		await repo.withVerifyCheckout(sha, async checkout => {
			expect(checkout).not.toBe(previous);
			expect(readFileSync(path.join(checkout, 'src/a.txt'), 'utf8')).toBe('a\n');
			expect(readFileSync(path.join(checkout, 'src/b.txt'), 'utf8')).toBe('b\n');
		});
		await repo.dropVerifyCheckouts();
		expect(verifyCheckouts(root)).toHaveLength(0);
	});

	it('a merge that changes .gitattributes gets a fresh checkout: its files as a checkout of the merge writes them, not as kept from the last use', async () => {
		const root = makeRepo({files: {'src/a.txt': 'a\n'}});
		const first = git(root, 'rev-parse', 'HEAD');
		const second = commitFiles(root, {'.gitattributes': '*.txt text eol=crlf\n'});
		const repo = await openRepo(root);
		const used = await repo.withVerifyCheckout(first, async checkout => checkout);
		await repo.withVerifyCheckout(second, async checkout => {
			expect(readFileSync(path.join(checkout, 'src/a.txt'), 'utf8')).toBe('a\r\n');
			expect(checkout).not.toBe(used);
		});
		await repo.dropVerifyCheckouts();
	});

	it('uses at the same time each get their own checkout; a crashed engine’s leftovers go at the next first use, and whatever is at a new checkout’s path after that', async () => {
		const root = makeRepo();
		const sha = git(root, 'rev-parse', 'HEAD');
		const crashed = path.join(root, '.proofloop/worktrees/.verify/99999-1');
		git(root, 'worktree', 'add', '-q', '--detach', crashed);
		writeFileSync(path.join(crashed, 'feature.txt'), 'planted\n');
		const repo = await openRepo(root);
		let release!: () => void;
		const held = new Promise<void>(resolve => (release = resolve));
		let planted!: () => void;
		const plantedNext = new Promise<void>(resolve => (planted = resolve));
		const one = repo.withVerifyCheckout(sha, async checkout => {
			// Something put where the next checkout goes after the leftovers went: cleared, not an error.
			const next = path.join(path.dirname(checkout), `${process.pid}-2`);
			mkdirSync(next);
			writeFileSync(path.join(next, 'feature.txt'), 'planted\n');
			planted();
			await held;
			return checkout;
		});
		await plantedNext;
		const two = await repo.withVerifyCheckout(sha, async checkout => {
			expect(existsSync(path.join(checkout, 'feature.txt'))).toBe(false);
			return checkout;
		});
		release();
		expect(await one).not.toBe(two);
		expect(existsSync(crashed)).toBe(false);
		expect(verifyCheckouts(root).some(line => line.includes('99999-1'))).toBe(false);
		await repo.dropVerifyCheckouts();
		expect(verifyCheckouts(root)).toHaveLength(0);
	});
});

describe('readCheckoutListing', () => {
	const entry = (tag: string, file: string, mode = '100644', stage = '0') => `${tag} ${mode} ${'a'.repeat(40)} ${stage}\t${file}\0`;
	it('is clean only with committed entries and nothing else', () => {
		expect(readCheckoutListing(entry('H', 'a') + entry('H', 'sub', '160000'))).toEqual({kind: 'clean', gitlinks: ['sub'], attributes: ''});
		expect(readCheckoutListing(entry('H', 'a') + entry('H', 'x/.gitattributes'))).toMatchObject({
			kind: 'clean',
			attributes: entry('H', 'x/.gitattributes').slice(0, -1),
		});
		expect(readCheckoutListing(entry('H', 'a') + '? x\0? node_modules/\0')).toEqual({kind: 'untracked', paths: ['x', 'node_modules/']});
		for (const bad of [entry('h', 'a'), entry('S', 'a'), entry('H', 'a') + entry('C', 'a'), entry('R', 'a'), entry('H', 'a', '100644', '2')]) {
			expect(readCheckoutListing(bad).kind).toBe('dirty');
		}
	});
});
