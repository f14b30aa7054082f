import {cpSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, symlinkSync, writeFileSync} from 'node:fs';
import {createHash} from 'node:crypto';
import {tmpdir} from 'node:os';
import path from 'node:path';
import {execa} from 'execa';
import {describe, expect, it} from 'vitest';
import {tripwire} from '../../source/core/oracle.js';
import {tripwireCacheDir, tripwireKey} from '../../source/core/tripwire-cache.js';
import {gitIdentity} from '../../source/core/oracle.js';
import {makeRepo} from '../helpers/repo.js';

const sha = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');

describe('the tripwire remembers a passing oracle, and nothing else', () => {
	it('runs the fixtures once per exact pinned bytes; --self-test style calls never use the memory', async () => {
		const cache = mkdtempSync(path.join(tmpdir(), 'pl-twcache-'));
		const saved = process.env['PROOFLOOP_CACHE_HOME'];
		process.env['PROOFLOOP_CACHE_HOME'] = cache;
		try {
			const first = await tripwire({useCache: true});
			expect(first).toMatchObject({ok: true});
			expect(first.cached).toBeUndefined();
			expect(readdirSync(tripwireCacheDir())).toHaveLength(1);
			expect(await tripwire({useCache: true})).toMatchObject({ok: true, cached: true});
			expect((await tripwire()).cached).toBeUndefined();
		} finally {
			if (saved === undefined) delete process.env['PROOFLOOP_CACHE_HOME'];
			else process.env['PROOFLOOP_CACHE_HOME'] = saved;
		}
	});

	it('an oracle weakened and re-pinned consistently is a new key: the fixtures run and the run is refused, whatever passed before', async () => {
		// A private install whose oracle always says done, with SHA256SUMS rewritten to match.
		const install = mkdtempSync(path.join(tmpdir(), 'pl-twinstall-'));
		cpSync('dist', path.join(install, 'dist'), {recursive: true});
		cpSync('package.json', path.join(install, 'package.json'));
		symlinkSync(path.resolve('node_modules'), path.join(install, 'node_modules'));
		const oracleDir = path.join(install, 'dist', 'oracle');
		const genuine = readFileSync(path.join(oracleDir, 'oracle.mjs'), 'utf8');
		// Still a module the engine can import, but run as a program it always says done.
		const weakened = `if (process.argv[1]?.endsWith('oracle.mjs')) { console.log(JSON.stringify({verdict: 'done', exit: 0, tickets: []})); process.exit(0); }\n`;
		writeFileSync(
			path.join(oracleDir, 'oracle.mjs'),
			genuine.replace(/^(#!.*\n)?/, match => match + weakened),
		);
		const sumsFile = path.join(oracleDir, 'SHA256SUMS');
		const sums = readFileSync(sumsFile, 'utf8').replace(/^\w+(\s+\*?oracle\.mjs)$/m, `${sha(path.join(oracleDir, 'oracle.mjs'))}$1`);
		writeFileSync(sumsFile, sums);
		// The cache holds a pass for the genuine oracle's key (a previous honest start).
		const cache = mkdtempSync(path.join(tmpdir(), 'pl-twcache-'));
		const genuineKey = tripwireKey(readFileSync('dist/oracle/SHA256SUMS', 'utf8'), await gitIdentity());
		const dir = tripwireCacheDir({PROOFLOOP_CACHE_HOME: cache});
		mkdirSync(dir, {recursive: true});
		writeFileSync(path.join(dir, genuineKey), `pass ${genuineKey}\n`);

		const {root, plan} = makeRepo({tickets: [{id: 'A'}]});
		const result = await execa(process.execPath, [path.join(install, 'dist', 'cli.js'), 'run', '--headless'], {
			cwd: root,
			reject: false,
			stdin: 'ignore',
			env: {FAKE_AGENT_PLAN: plan, PROOFLOOP_CACHE_HOME: cache, NO_COLOR: '1'},
		});
		expect(result.exitCode, result.stderr + result.stdout).toBe(2);
		expect(result.stderr).toMatch(/tripwire failed[\s\S]*oracle conformance failed/);
		expect(readdirSync(dir)).toEqual([genuineKey]);
	});
});
