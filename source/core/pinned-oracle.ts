/**
 * The oracle that runs is the oracle that was pinned: its bytes are read once,
 * hashed, compared with the pin, and those very bytes are handed to node on
 * stdin (`node --input-type=module -`), so nothing can swap the file between
 * the check and the run. Imports no oracle code: the CLI asks this before it
 * loads anything that imports oracle.mjs.
 */
import {readFileSync} from 'node:fs';
import path from 'node:path';
import {oracleDir, oracleFile, packageRoot} from './paths.js';
import {sha256} from '../lib/sha256.js';

export type PinnedOracle = {ok: true; source: Buffer; sha256: string} | {ok: false; file: string; actual: string; expected: string; message: string};

/** oracle.mjs's line in oracle/SHA256SUMS, or undefined when there is none. */
export function sumsPin(): string | undefined {
	try {
		const line = readFileSync(path.join(oracleDir, 'SHA256SUMS'), 'utf8')
			.split('\n')
			.find(l => /^[0-9a-f]{64} [ *]?oracle\.mjs$/.test(l.trim()));
		return line?.trim().slice(0, 64);
	} catch {
		return undefined;
	}
}

export function oracleFix(): string {
	let root = path.dirname(oracleDir);
	try {
		root = packageRoot();
	} catch {
		// the assets root is the package root in every layout we ship
	}
	// Built copies (dist/oracle) come from oracle/ by the build.
	const rebuild = oracleDir.startsWith(path.join(root, 'dist') + path.sep) ? ' && npm run build' : '';
	return (
		`restore it (\`git checkout -- oracle/${rebuild}\` in ${root}, or reinstall proofloop); if the change is intended, ` +
		`re-pin it with \`node scripts/pin-oracle.mjs${rebuild}\` there and review the diff`
	);
}

/**
 * Read the oracle's bytes once and check them against oracle/SHA256SUMS and,
 * when a run pinned one, the run's sha256.
 */
export function readPinnedOracle(runPin?: string): PinnedOracle {
	let bytes: Buffer | undefined;
	try {
		bytes = readFileSync(oracleFile);
	} catch {
		bytes = undefined;
	}
	const actual = bytes ? sha256(bytes) : '(missing)';
	const pinned = sumsPin();
	const expected = runPin ?? pinned ?? '(no pin in oracle/SHA256SUMS)';
	if (bytes && actual === expected) return {ok: true, source: bytes, sha256: actual};
	const message =
		`the oracle file ${oracleFile} does not match its pin: its sha256 is ${actual}, ` +
		`pinned ${expected}${runPin ? " (the run's pin)" : ' (oracle/SHA256SUMS)'}; it is not run.\n  fix: ${oracleFix()}`;
	return {ok: false, file: oracleFile, actual, expected, message};
}

/** Run checked oracle bytes as a separate process, from stdin: never from the file again. */
export async function runOracleSource(source: Buffer, args: string[]) {
	// execa is loaded here, not at the top: the CLI entry asks readPinnedOracle before every command.
	const {execa} = await import('execa');
	return execa(process.execPath, ['--input-type=module', '-', ...args], {reject: false, input: source});
}
