// `proofloop oracle` loads only what a verdict needs: at 1,000 tickets the git layer, zod and execa cost more than the oracle.
import {mkdtempSync, readFileSync, writeFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import path from 'node:path';
import {pathToFileURL} from 'node:url';
import {execa} from 'execa';
import {describe, expect, it} from 'vitest';
import {CLI, makeRepo} from '../helpers/repo.js';

// A module hook that appends every module the CLI loads to a file, one URL a line (a sync
// write: the hooks run on their own thread, whose stderr is not flushed at exit).
function loadTracer(): {register: string; log: string} {
	const dir = mkdtempSync(path.join(tmpdir(), 'pl-load-trace-'));
	const log = path.join(dir, 'loaded.txt');
	writeFileSync(log, '');
	writeFileSync(
		path.join(dir, 'hooks.mjs'),
		`import {appendFileSync} from 'node:fs';\nexport async function load(url, context, next) { appendFileSync(${JSON.stringify(log)}, url + '\\n'); return next(url, context); }\n`,
	);
	const register = path.join(dir, 'register.mjs');
	writeFileSync(register, `import {register} from 'node:module';\nregister(${JSON.stringify(pathToFileURL(path.join(dir, 'hooks.mjs')).href)});\n`);
	return {register, log};
}

describe('proofloop oracle start-up', () => {
	it('judges without loading the git layer, zod, execa, simple-git or the engine', async () => {
		const {root} = makeRepo({tickets: [{id: 'T-1'}, {id: 'T-2', status: 'done'}]});
		const tracer = loadTracer();
		const result = await execa(process.execPath, ['--import', tracer.register, CLI, 'oracle', '--json'], {cwd: root, reject: false, stdin: 'ignore'});
		// A verdict, judged as always: T-1 is todo, T-2 says done with no evidence.
		expect(result.exitCode, result.stderr).toBe(1);
		const verdict = JSON.parse(result.stdout) as {verdict: string; tickets: Array<{id: string; passing: boolean}>};
		expect(verdict.verdict).toBe('not_done');
		expect(verdict.tickets.map(t => [t.id, t.passing])).toEqual([
			['T-1', false],
			['T-2', false],
		]);
		const loaded = readFileSync(tracer.log, 'utf8').split('\n').filter(Boolean);
		expect(loaded.some(url => url.endsWith('/commands/oracle.js'))).toBe(true);
		const heavy = loaded.filter(url =>
			/node_modules\/(zod|execa|simple-git|ink|react)\/|\/source\/(git|tracker|agents)\/|\/core\/(engine|config|oracle)\.js$/.test(url),
		);
		expect(heavy).toEqual([]);
	});
});
