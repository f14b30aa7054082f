import {spawn, spawnSync} from 'node:child_process';
import {createHash} from 'node:crypto';
import {readFileSync, readdirSync} from 'node:fs';
import {join, relative} from 'node:path';
import {fileURLToPath} from 'node:url';
import {describe, expect, it} from 'vitest';

const root = fileURLToPath(new URL('../../..', import.meta.url));
const oracleDir = join(root, 'oracle');
const runner = join(oracleDir, 'conformance', 'run.mjs');

function conformance(...args: string[]): Promise<{status: number | null; output: string}> {
	return new Promise((resolve) => {
		const child = spawn(process.execPath, [runner, ...args], {cwd: root});
		let output = '';
		child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
		child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
		child.on('close', (status) => resolve({status, output}));
	});
}

// Every case against the pinned oracle; the weakened oracles that must fail them are in test/integration/weakened-oracles.test.ts.
describe('oracle conformance', {timeout: 240_000}, () => {
	it('the pinned oracle passes every case', async () => {
		const {status, output} = await conformance();
		const summary = /conformance: (\d+) passed, (\d+) failed/.exec(output);
		expect(summary, output).not.toBeNull();
		expect(Number(summary?.[1])).toBeGreaterThanOrEqual(19);
		expect(summary?.[2]).toBe('0');
		expect(status, output).toBe(0);
	});

});

describe('oracle/SHA256SUMS', () => {
	function filesUnder(dir: string): string[] {
		return readdirSync(dir, {withFileTypes: true}).flatMap((entry) =>
			entry.isDirectory() ? filesUnder(join(dir, entry.name)) : [relative(oracleDir, join(dir, entry.name)).split('\\').join('/')],
		);
	}

	it('pins every file under oracle/ with its current sha256 (re-pin with node scripts/pin-oracle.mjs)', () => {
		const pinned = new Map(
			readFileSync(join(oracleDir, 'SHA256SUMS'), 'utf8')
				.trimEnd()
				.split('\n')
				.map((line) => {
					const match = /^([0-9a-f]{64}) {2}(.+)$/.exec(line);
					expect(match, `bad SHA256SUMS line: ${line}`).not.toBeNull();
					return [match?.[2] ?? '', match?.[1] ?? ''] as const;
				}),
		);
		const files = filesUnder(oracleDir).filter((file) => file !== 'SHA256SUMS');
		expect([...pinned.keys()].sort()).toEqual(files.sort());
		for (const file of files) {
			const actual = createHash('sha256').update(readFileSync(join(oracleDir, file))).digest('hex');
			expect(actual, `${file} changed since it was pinned`).toBe(pinned.get(file));
		}
	});

	it('the pin script agrees (--check)', () => {
		const result = spawnSync(process.execPath, [join(root, 'scripts', 'pin-oracle.mjs'), '--check'], {encoding: 'utf8'});
		expect(result.status, result.stderr).toBe(0);
	});
});
