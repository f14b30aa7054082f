import {mkdirSync, mkdtempSync, readdirSync, writeFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import path from 'node:path';
import {deflateSync} from 'node:zlib';
import {execaSync} from 'execa';
import {describe, expect, it} from 'vitest';
import {objectStoreProblem} from '../../../source/git/object-integrity.js';

function repo() {
	const root = mkdtempSync(path.join(tmpdir(), 'pl-packs-'));
	const git = (...args: string[]) => execaSync('git', args, {cwd: root}).stdout;
	git('init', '-q', '-b', 'main');
	writeFileSync(path.join(root, 'verify.sh'), 'test -e feature.txt\n');
	git('add', '-A');
	git('-c', 'user.name=t', '-c', 'user.email=t@t', 'commit', '-q', '-m', 'init');
	return {root, git, common: path.join(root, '.git'), oid: git('rev-parse', 'HEAD:verify.sh')};
}

describe('packs and alternate stores that are not what their ids say', () => {
	it("a pack whose index files other content under base's id is named (packs are read first); an honest pack is not", async () => {
		const {root, git, common, oid} = repo();
		git('repack', '-q', '-a', '-d');
		expect(await objectStoreProblem(common, {packs: true})).toBeUndefined();
		// An honest pack of other content, its index rewritten to file that content under base's id.
		const other = mkdtempSync(path.join(tmpdir(), 'pl-packs-other-'));
		execaSync('git', ['init', '-q'], {cwd: other});
		const fake = execaSync('git', ['hash-object', '-w', '--stdin'], {cwd: other, input: 'exit 0\n'}).stdout;
		const prefix = path.join(common, 'objects', 'pack', 'pack-forged');
		execaSync('git', ['pack-objects', '-q', prefix], {cwd: other, input: `${fake}\n`});
		const name = readdirSync(path.dirname(prefix)).find(n => n.startsWith('pack-forged') && n.endsWith('.idx'))!;
		const idx = path.join(path.dirname(prefix), name);
		const bytes = execaSync('cat', [idx], {encoding: 'buffer'}).stdout as unknown as Buffer;
		const patched = Buffer.from(bytes);
		// One object: its id sits right after the header (8 bytes) and the fanout (1024); the fanout moves with its first byte.
		Buffer.from(oid, 'hex').copy(patched, 8 + 1024);
		for (let i = 0; i < 256; i++) patched.writeUInt32BE(i >= parseInt(oid.slice(0, 2), 16) ? 1 : 0, 8 + i * 4);
		writeFileSync(idx, patched);
		expect(execaSync('git', ['cat-file', 'blob', oid], {cwd: root}).stdout).toBe('exit 0');
		expect(await objectStoreProblem(common, {packs: true})).toContain(name);
	});

	it('an alternate store (objects/info/alternates) holding a forged loose object is named', async () => {
		const {common} = repo();
		const elsewhere = mkdtempSync(path.join(tmpdir(), 'pl-alt-'));
		const id = 'ab'.padEnd(40, '0');
		mkdirSync(path.join(elsewhere, 'ab'));
		writeFileSync(path.join(elsewhere, 'ab', id.slice(2)), deflateSync(Buffer.from('blob 7\0exit 0\n')));
		mkdirSync(path.join(common, 'objects', 'info'), {recursive: true});
		writeFileSync(path.join(common, 'objects', 'info', 'alternates'), `${elsewhere}\n`);
		expect(await objectStoreProblem(common)).toContain(id);
	});
});
