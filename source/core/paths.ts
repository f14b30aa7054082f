import {existsSync, readFileSync} from 'node:fs';
import path from 'node:path';
import {fileURLToPath} from 'node:url';

// Where the package's own assets are, both when running compiled code from
// dist/ (dist/source/core -> dist/oracle, dist/prompts, copied byte for byte by
// the build) and when tests run the TypeScript sources (source/core -> oracle/).
const here = path.dirname(fileURLToPath(import.meta.url));
const assetsRoot = path.resolve(here, '..', '..');

export const oracleDir = path.join(assetsRoot, 'oracle');
export const oracleFile = path.join(oracleDir, 'oracle.mjs');
export const conformanceRunner = path.join(oracleDir, 'conformance', 'run.mjs');
export const packagePromptsDir = path.join(assetsRoot, 'prompts');

/** The package root (the folder with proofloop's package.json). */
export function packageRoot(): string {
	let dir = here;
	for (;;) {
		const file = path.join(dir, 'package.json');
		if (existsSync(file) && (JSON.parse(readFileSync(file, 'utf8')) as {name?: string}).name === 'proofloop') return dir;
		const parent = path.dirname(dir);
		if (parent === dir) throw new Error('cannot find the proofloop package root');
		dir = parent;
	}
}

/** proofloop's own version, from its package.json. */
export const packageVersion = (): string => (JSON.parse(readFileSync(path.join(packageRoot(), 'package.json'), 'utf8')) as {version: string}).version;

/** The compiled CLI entry, for spawning the engine or a verb as a process. */
export function cliEntry(): string {
	return path.join(packageRoot(), 'dist', 'cli.js');
}

export const runsDir = (repoRoot: string): string => path.join(repoRoot, '.proofloop', 'runs');
