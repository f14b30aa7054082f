import {mkdtempSync, readFileSync, renameSync, writeFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import path from 'node:path';
import {deflateSync} from 'node:zlib';
import {execaSync} from 'execa';
import {describe, expect, it} from 'vitest';
import {forgedLooseObjects, objectStoreProblem} from '../../../source/git/object-integrity.js';

function repo() {
	const root = mkdtempSync(path.join(tmpdir(), 'pl-objects-'));
	const git = (...args: string[]) => execaSync('git', args, {cwd: root}).stdout;
	git('init', '-q', '-b', 'main');
	writeFileSync(path.join(root, 'verify.sh'), 'test -e feature.txt\n');
	git('add', '-A');
	git('-c', 'user.name=t', '-c', 'user.email=t@t', 'commit', '-q', '-m', 'init');
	return {root, common: path.join(root, '.git'), oid: git('rev-parse', 'HEAD:verify.sh')};
}

const objectFile = (common: string, oid: string) => path.join(common, 'objects', oid.slice(0, 2), oid.slice(2));

function overwrite(file: string, body: string) {
	writeFileSync(`${file}.new`, deflateSync(Buffer.from(`blob ${body.length}\0${body}`)));
	renameSync(`${file}.new`, file);
}

describe('loose objects that are not what their id says', () => {
	it('an honest store has none; a blob rewritten under its old id is named, and found again until restored', async () => {
		const {common, oid} = repo();
		expect(await forgedLooseObjects(common)).toEqual([]);
		const file = objectFile(common, oid);
		const honest = readFileSync(file);
		overwrite(file, 'exit 0\n');
		expect(await forgedLooseObjects(common)).toEqual([`${oid} (objects/${oid.slice(0, 2)}/${oid.slice(2)})`]);
		// Not remembered as checked: asked again, still named.
		expect(await objectStoreProblem(common)).toContain(oid);
		writeFileSync(`${file}.back`, honest);
		renameSync(`${file}.back`, file);
		expect(await objectStoreProblem(common)).toBeUndefined();
	});

	it('an object rewritten after it was found true is read again (its inode and ctime changed)', async () => {
		const {common, oid} = repo();
		expect(await forgedLooseObjects(common)).toEqual([]);
		overwrite(objectFile(common, oid), 'exit 0\n');
		expect(await forgedLooseObjects(common)).toHaveLength(1);
	});
});
