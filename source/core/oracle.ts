import {existsSync, readdirSync, readFileSync, statSync} from 'node:fs';
import path from 'node:path';
import {execa} from 'execa';
import {z} from 'zod';
import {conformanceRunner, oracleDir, oracleFile} from './paths.js';
import {runOracleSource} from './pinned-oracle.js';
import {passedBefore, rememberPass, tripwireKey} from './tripwire-cache.js';
import {sha256File} from '../lib/sha256.js';
import {findOnPath} from '../lib/which.js';

export const OracleVerdict = z.object({
	verdict: z.enum(['done', 'not_done', 'cannot_judge']),
	exit: z.number(),
	batch: z.string().optional(),
	base: z.string().optional(),
	total: z.number().optional(),
	passing: z.number().optional(),
	tickets: z.array(z.object({id: z.string(), status: z.string(), passing: z.boolean(), reason: z.string()})).default([]),
	error: z.string().optional(),
});
export type OracleVerdict = z.infer<typeof OracleVerdict>;

/**
 * Ask the oracle, always as a separate process: the engine never judges done
 * itself, and nothing in this process can influence the answer.
 */
export async function runOracle(opts: {repoRoot: string; manifestFile?: string; batch?: string; source: Buffer}): Promise<OracleVerdict> {
	const args = ['--repo', opts.repoRoot, '--json'];
	if (opts.manifestFile) args.push('--manifest', opts.manifestFile);
	if (opts.batch) args.push('--batch', opts.batch);
	// The bytes the caller checked against the pin (readPinnedOracle), never the file again.
	const result = await runOracleSource(opts.source, args);
	try {
		return OracleVerdict.parse(JSON.parse(result.stdout));
	} catch {
		return {
			verdict: 'cannot_judge',
			exit: 2,
			tickets: [],
			error: `the oracle printed no verdict (exit ${result.exitCode}): ${result.stderr.trim() || result.stdout.trim()}`,
		};
	}
}

/** `cached`: the conformance fixtures were not re-run, because these exact pinned bytes passed them before. */
export type TripwireResult = {ok: boolean; problems: string[]; oracleSha256: string; cached?: boolean};

function listFiles(dir: string, prefix = ''): string[] {
	return readdirSync(dir).flatMap(name => {
		const rel = prefix ? `${prefix}/${name}` : name;
		return statSync(path.join(dir, name)).isDirectory() ? listFiles(path.join(dir, name), rel) : [rel];
	});
}

/**
 * The tripwire: every oracle file still hashes to its pin in SHA256SUMS (no
 * file added or removed), the oracle hashes to what the run pinned (when a run
 * pinned one), and the conformance fixtures still give their expected exits.
 */
export async function tripwire(opts: {pinnedSha256?: string; useCache?: boolean} = {}): Promise<TripwireResult> {
	const problems: string[] = [];
	const sumsFile = path.join(oracleDir, 'SHA256SUMS');
	const oracleSha256 = existsSync(oracleFile) ? sha256File(oracleFile) : '';
	const sumsText = existsSync(sumsFile) ? readFileSync(sumsFile, 'utf8') : undefined;
	if (sumsText === undefined) {
		problems.push(`${sumsFile} is missing`);
	} else {
		const pinned = new Map(
			sumsText
				.split('\n')
				.filter(Boolean)
				.map(line => {
					const [hash = '', file = ''] = line.split(/\s+\*?/);
					return [file, hash] as const;
				}),
		);
		for (const file of listFiles(oracleDir).filter(f => f !== 'SHA256SUMS')) {
			const want = pinned.get(file);
			if (!want) problems.push(`oracle/${file} is not pinned in oracle/SHA256SUMS`);
			else if (sha256File(path.join(oracleDir, file)) !== want) problems.push(`oracle/${file} does not match its pinned sha256`);
			pinned.delete(file);
		}
		for (const file of pinned.keys()) problems.push(`oracle/${file} is pinned but missing`);
	}
	if (opts.pinnedSha256 && opts.pinnedSha256 !== oracleSha256) {
		problems.push(`the oracle's sha256 ${oracleSha256.slice(0, 12)} differs from the run's pin ${opts.pinnedSha256.slice(0, 12)}`);
	}
	// Every file matched its pin: the cache may answer for the fixtures (see tripwire-cache.ts).
	const key = sumsText === undefined ? undefined : tripwireKey(sumsText, await gitIdentity());
	if (opts.useCache && key && problems.length === 0 && passedBefore(key)) return {ok: true, problems, oracleSha256, cached: true};
	const conformance = await execa(process.execPath, [conformanceRunner, '--oracle', oracleFile], {reject: false, stdin: 'ignore'});
	if (conformance.exitCode !== 0) {
		const failures = conformance.stdout.split('\n').filter(line => line.startsWith('FAIL'));
		problems.push(`oracle conformance failed: ${failures.join('; ') || conformance.stderr.trim() || `exit ${conformance.exitCode}`}`);
	}
	if (key && problems.length === 0) rememberPass(key);
	return {ok: problems.length === 0, problems, oracleSha256};
}

/**
 * Which git the fixtures ran against (they judge through it): its version and
 * the binary PATH finds. A different git is a new tripwire key.
 */
export async function gitIdentity(): Promise<string> {
	const version = await execa('git', ['--version'], {reject: false, stdin: 'ignore'});
	const where = findOnPath('git', process.env['PATH']) ?? '?';
	return `${version.stdout.trim()} ${where}`;
}
