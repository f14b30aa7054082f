#!/usr/bin/env node
// Regenerate oracle/SHA256SUMS: one `sha256sum` line for every file under
// oracle/ (except SHA256SUMS itself), so `cd oracle && sha256sum -c SHA256SUMS`
// passes. Changing the oracle is then one deliberate, reviewed command:
//
//   node scripts/pin-oracle.mjs           rewrite SHA256SUMS
//   node scripts/pin-oracle.mjs --check   exit 1 if SHA256SUMS is stale

import {createHash} from 'node:crypto';
import {readFileSync, readdirSync, writeFileSync} from 'node:fs';
import {join} from 'node:path';
import {fileURLToPath} from 'node:url';

const oracleDir = fileURLToPath(new URL('../oracle/', import.meta.url));
const SUMS = 'SHA256SUMS';

function listFiles(dir, prefix = '') {
	const out = [];
	for (const entry of readdirSync(dir, {withFileTypes: true})) {
		const rel = prefix + entry.name;
		if (entry.isDirectory()) out.push(...listFiles(join(dir, entry.name), `${rel}/`));
		else if (entry.isFile() && rel !== SUMS) out.push(rel);
	}
	return out;
}

// Sorted by byte order so the file is the same on every machine.
const files = listFiles(oracleDir).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
const sums = files
	.map(
		rel =>
			`${createHash('sha256')
				.update(readFileSync(join(oracleDir, rel)))
				.digest('hex')}  ${rel}\n`,
	)
	.join('');

if (process.argv.includes('--check')) {
	let current = '';
	try {
		current = readFileSync(join(oracleDir, SUMS), 'utf8');
	} catch {
		// Not pinned yet: any pins are stale.
	}
	if (current !== sums) {
		console.error('oracle/SHA256SUMS is stale: the oracle changed without a re-pin (run node scripts/pin-oracle.mjs and review the diff)');
		process.exitCode = 1;
	} else {
		console.log(`oracle/SHA256SUMS matches ${files.length} files`);
	}
} else {
	writeFileSync(join(oracleDir, SUMS), sums);
	console.log(`oracle/SHA256SUMS: pinned ${files.length} files`);
}
