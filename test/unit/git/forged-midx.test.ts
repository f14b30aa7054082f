import {createHash} from 'node:crypto';
import {mkdtempSync, readFileSync, writeFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import path from 'node:path';
import {execaSync} from 'execa';
import {describe, expect, it} from 'vitest';
import {runGit} from '../../../source/git/run.js';

/** A packed repository whose multi-pack-index files `gutted`'s offset under `original`'s id (what an unsandboxed agent can write). */
function forgedMidx() {
	const root = mkdtempSync(path.join(tmpdir(), 'pl-midx-'));
	const git = (args: string[], input?: string) => execaSync('git', args, {cwd: root, ...(input === undefined ? {} : {input})}).stdout;
	git(['init', '-q', '-b', 'main']);
	writeFileSync(path.join(root, 'smoke.mjs'), 'if (!process.env.FEATURE) process.exit(1);\n');
	writeFileSync(path.join(root, 'other.mjs'), 'process.exit(0)\n');
	git(['add', '-A']);
	git(['-c', 'user.name=t', '-c', 'user.email=t@t', 'commit', '-q', '-m', 'init']);
	git(['repack', '-q', '-a', '-d']);
	git(['multi-pack-index', 'write']);
	const original = git(['rev-parse', 'HEAD:smoke.mjs']);
	const gutted = git(['rev-parse', 'HEAD:other.mjs']);
	const file = path.join(root, '.git', 'objects', 'pack', 'multi-pack-index');
	const midx = readFileSync(file);
	const chunk = (id: string) => {
		for (let i = 0; i < midx[6]!; i++) if (midx.toString('latin1', 12 + i * 12, 16 + i * 12) === id) return Number(midx.readBigUInt64BE(16 + i * 12));
		throw new Error(id);
	};
	const count = midx.readUInt32BE(chunk('OIDF') + 255 * 4);
	const position = (oid: string) => [...Array(count).keys()].find(i => midx.toString('hex', chunk('OIDL') + i * 20, chunk('OIDL') + i * 20 + 20) === oid)!;
	const offsets = chunk('OOFF');
	midx.copy(midx, offsets + position(original) * 8, offsets + position(gutted) * 8, offsets + position(gutted) * 8 + 8);
	createHash('sha1')
		.update(midx.subarray(0, midx.length - 20))
		.digest()
		.copy(midx, midx.length - 20);
	writeFileSync(file, midx);
	return {root, original, git};
}

describe("the engine's git and a forged multi-pack-index", () => {
	it('reads the object the pack holds, not the one the multi-pack-index names (git alone is fooled)', async () => {
		const {root, original, git} = forgedMidx();
		expect(git(['cat-file', 'blob', original])).toBe('process.exit(0)');
		expect((await runGit(root, ['cat-file', 'blob', original])).stdout).toContain('process.env.FEATURE');
	});
});
