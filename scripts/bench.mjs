// npm run bench -- <name> [flags]: runs bench/<name>.mjs (flags passed to its run()), prints a table, writes
// bench/results/<name>.json. Benchmarks measure; tests stay deterministic.
import {existsSync, mkdirSync, readdirSync, writeFileSync} from 'node:fs';
import {fileURLToPath} from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const names = readdirSync(`${root}bench`)
	.filter(f => f.endsWith('.mjs'))
	.map(f => f.slice(0, -4));
const name = process.argv[2];
if (!name || !names.includes(name)) {
	console.error(`usage: npm run bench -- <name>   (one of: ${names.join(', ')})`);
	process.exit(2);
}
const {run} = await import(`${root}bench/${name}.mjs`);
const result = {bench: name, at: new Date().toISOString(), node: process.version, ...(await run(process.argv.slice(3)))};
const width = Math.max(...Object.keys(result).map(k => k.length));
console.log(`\n${name}`);
for (const [key, value] of Object.entries(result)) console.log(`  ${key.padEnd(width)}  ${typeof value === 'object' ? JSON.stringify(value) : value}`);
mkdirSync(`${root}bench/results`, {recursive: true});
writeFileSync(`${root}bench/results/${name}.json`, JSON.stringify(result, null, 2) + '\n');
console.log(`\nwrote bench/results/${name}.json`);
if (!existsSync(`${root}bench/results/${name}.json`)) process.exit(1);
