// The done-oracle on N done tickets (1k and 10k by default), each with its
// merge on main's first-parent chain (a `Ticket:` trailer), its record in the
// proofloop-ledger and its ticket file: the repository is written in one go by
// `git fast-import`. Timed two ways, each judged DONE:
// - cli: `proofloop oracle --json` (the newest run's manifest pins every id);
// - engine: the pinned bytes through stdin, as the engine's live judge runs it.
// Linear: the marginal cost per ticket (µs, between consecutive sizes) stays flat as sizes grow.
// Flags: --sizes 100,1000,10000  --reps 3  --quick (100 tickets, 1 rep).
import {execFileSync, spawnSync} from 'node:child_process';
import {createHash} from 'node:crypto';
import {mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import path from 'node:path';
import {fileURLToPath} from 'node:url';
import {parseArgs} from 'node:util';

const root = fileURLToPath(new URL('..', import.meta.url));
const who = 'bench <bench@proofloop.invalid> 1700000000 +0000';

function fastImport(repo, stream, marksFile) {
	const args = ['fast-import', '--quiet', ...(marksFile ? [`--export-marks=${marksFile}`] : [])];
	const result = spawnSync('git', args, {cwd: repo, input: stream, maxBuffer: 1 << 30});
	if (result.status !== 0) throw new Error(`git fast-import failed: ${result.stderr}`);
}

const data = text => `data ${Buffer.byteLength(text)}\n${text}\n`;
const commit = (ref, mark, message, from, merge, files) =>
	`commit ${ref}\nmark :${mark}\ncommitter ${who}\n${data(message)}${from ? `from :${from}\n` : ''}${merge ? `merge :${merge}\n` : ''}${files.map(([p, body]) => `M 100644 inline ${p}\n${data(body)}`).join('')}`;

/** A repository whose batch `b` holds `count` done tickets with full evidence. */
export function buildDoneRepo(count) {
	const repo = mkdtempSync(path.join(tmpdir(), 'pl-bench-oracle-'));
	execFileSync('git', ['init', '-q', '-b', 'main'], {cwd: repo});
	const ids = Array.from({length: count}, (_, i) => `T-${i + 1}`);
	// Marks: 1 the root; ticket i: side 2i, merge 2i+1.
	let stream = commit('refs/heads/main', 1, 'init\n', 0, 0, [['README.md', '# bench\n']]);
	for (const [i, id] of ids.entries()) {
		const side = 2 * (i + 1);
		const parent = i === 0 ? 1 : 2 * i + 1;
		// One file rewritten each time: the tree stays small, so the build is linear.
		stream += commit('refs/heads/work', side, `${id}: work\n`, parent, 0, [['work.txt', `${id}\n`]]);
		stream += commit('refs/heads/main', side + 1, `Merge ${id}\n\nTicket: ${id}\n`, parent, side, [['work.txt', `${id}\n`]]);
	}
	const marksFile = `${repo}.marks`;
	fastImport(repo, stream, marksFile);
	execFileSync('git', ['update-ref', '-d', 'refs/heads/work'], {cwd: repo});
	const marks = new Map(
		readFileSync(marksFile, 'utf8')
			.trim()
			.split('\n')
			.map(line => line.slice(1).split(' '))
			.map(([m, sha]) => [Number(m), sha]),
	);
	const digest = id => `sha256:${createHash('sha256').update(id).digest('hex')}`;
	const ledger = ids.map((id, i) => JSON.stringify({ticket: id, merge: marks.get(2 * (i + 1) + 1), verify_digest: digest(id)})).join('\n') + '\n';
	fastImport(repo, commit('refs/heads/proofloop-ledger', 1, 'ledger\n', 0, 0, [['merges.jsonl', ledger]]));

	const tickets = path.join(repo, '.proofloop/tickets');
	mkdirSync(tickets, {recursive: true});
	writeFileSync(path.join(repo, '.proofloop/config.json'), JSON.stringify({batch: 'b', agent: {type: 'command', command: 'true'}}));
	for (const [i, id] of ids.entries()) {
		const merge = marks.get(2 * (i + 1) + 1);
		writeFileSync(
			path.join(tickets, `${id}.md`),
			`---\nid: ${id}\ntitle: Ticket ${id}\nstatus: done\nbatch: b\nmerge_commit: ${merge}\nverify_digest: ${digest(id)}\n---\nDone.\n`,
		);
	}
	// A run whose manifest pins every id, as `proofloop run` writes it.
	const run = path.join(repo, '.proofloop/runs/20260101-000000-bench');
	mkdirSync(run, {recursive: true});
	const manifest = {
		run_id: '20260101-000000-bench',
		batch: 'b',
		base_branch: 'main',
		base_commit: marks.get(1),
		ticket_ids: ids,
		oracle_sha256: '',
		config_sha256: '',
		created_at: new Date(0).toISOString(),
		proofloop_version: 'bench',
	};
	writeFileSync(path.join(run, 'manifest.json'), JSON.stringify(manifest));
	return {repo, manifestFile: path.join(run, 'manifest.json')};
}

const median = xs => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

function timeCli(repo) {
	const started = performance.now();
	const result = spawnSync(process.execPath, [`${root}dist/cli.js`, 'oracle', '--json'], {cwd: repo, encoding: 'utf8', maxBuffer: 1 << 28});
	const ms = performance.now() - started;
	const verdict = /^\{/.test(result.stdout) ? JSON.parse(result.stdout).verdict : `exit ${result.status}: ${result.stderr.trim()}`;
	return {ms, verdict};
}

async function timeEngine(repo, manifestFile) {
	const {readPinnedOracle} = await import(`${root}dist/source/core/pinned-oracle.js`);
	const {runOracle} = await import(`${root}dist/source/core/oracle.js`);
	const oracle = readPinnedOracle();
	if (!oracle.ok) throw new Error(oracle.message);
	const started = performance.now();
	const verdict = await runOracle({repoRoot: repo, manifestFile, source: oracle.source});
	return {ms: performance.now() - started, verdict: verdict.verdict};
}

export async function run(argv = []) {
	const {values} = parseArgs({args: argv, options: {sizes: {type: 'string'}, reps: {type: 'string'}, quick: {type: 'boolean'}}});
	const sizes = (values.sizes ?? (values.quick ? '100' : '100,1000,10000')).split(',').map(Number);
	const reps = Number(values.reps ?? (values.quick ? 1 : 3));
	const rows = [];
	for (const size of sizes) {
		const built = performance.now();
		const {repo, manifestFile} = buildDoneRepo(size);
		const buildMs = performance.now() - built;
		const cli = [];
		const engine = [];
		const verdicts = new Set();
		for (let i = 0; i < reps; i++) {
			const c = timeCli(repo);
			const e = await timeEngine(repo, manifestFile);
			cli.push(c.ms);
			engine.push(e.ms);
			verdicts.add(c.verdict).add(e.verdict);
		}
		rmSync(repo, {recursive: true, force: true});
		rmSync(`${repo}.marks`, {force: true});
		rows.push({
			tickets: size,
			build_ms: Math.round(buildMs),
			cli_ms: Math.round(median(cli)),
			engine_ms: Math.round(median(engine)),
			verdicts: [...verdicts].join(' '),
		});
	}
	// What each ticket more costs from the size before: flat when the oracle is linear.
	for (const [i, row] of rows.entries()) {
		const prev = rows[i - 1];
		if (!prev) continue;
		const n = row.tickets - prev.tickets;
		row.cli_us_per_ticket = Math.round((1000 * (row.cli_ms - prev.cli_ms)) / n);
		row.engine_us_per_ticket = Math.round((1000 * (row.engine_ms - prev.engine_ms)) / n);
	}
	console.table(rows);
	const big = rows.at(-1);
	return {
		reps,
		rows,
		goal: 'cli_ms <= 500 at 10000 done tickets, linear',
		[`cli_ms_at_${big.tickets}`]: big.cli_ms,
		all_done: rows.every(r => r.verdicts === 'done'),
	};
}
