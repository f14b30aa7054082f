#!/usr/bin/env node
// Conformance for the done-oracle: every case in cases/ is a tiny repo (git
// history + config + tickets) with the exit code the oracle must give. A
// weakened oracle (one that passes "done" without evidence, say) fails here,
// which is what makes this half of the tripwire.
//
//   node oracle/conformance/run.mjs [--oracle <path>]
//
// Case file: {description, expected_exit, config (null = no config file),
// manifest?, tickets: {"T-1.md": "..."} (absent = no ticket dir), commits:
// [{name, branch, message, merge?}], ledger?: {ref?, records: [{ticket, merge,
// verify_digest}] | lines: ["..."], gates?: [{kind: gate|ungate, ticket, by,
// reason?} | "raw line"]}, forge?: [{object, replace: [from, to]}],
// args?, output_includes?: ["..."]}. Ticket texts, the manifest, ledger
// records, forge entries and args may use {{commit:NAME}}; "init" is the first
// commit. forge rewrites a loose object's file in place, under its old id
// (object: any git revision, e.g. refs/heads/proofloop-ledger:merges.jsonl). The ledger is the merge queue's record: merges.jsonl (and
// gates.jsonl when `gates` is given) at the tip of ref (default refs/heads/proofloop-ledger).

import {execFile} from 'node:child_process';
import {chmodSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {dirname, join, resolve} from 'node:path';
import {fileURLToPath} from 'node:url';
import {deflateSync} from 'node:zlib';

const here = dirname(fileURLToPath(import.meta.url));
// Cases are independent repos, so several build and run at once: the tripwire
// runs before every engine start and must not cost seconds per case.
const PARALLEL = 8;
const EMPTY_TREE = '4b825dc642cb6eb9a060e54bf8d69288fbee4904';

function parseArgs(argv) {
	let oracle = join(here, '..', 'oracle.mjs');
	for (let i = 0; i < argv.length; i++) {
		if (argv[i] === '--oracle' && argv[i + 1] !== undefined) oracle = resolve(argv[++i]);
		else throw new Error(`usage: run.mjs [--oracle <path>] (got '${argv[i]}')`);
	}
	return {oracle};
}

function run(file, args, cwd, env, input) {
	return new Promise((done) => {
		const child = execFile(file, args, {cwd, encoding: 'utf8', env: {...process.env, ...env}}, (error, stdout, stderr) => {
			done({status: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr, error});
		});
		if (input !== undefined) child.stdin.end(input);
	});
}

const identity = {
	GIT_AUTHOR_NAME: 'Conformance',
	GIT_AUTHOR_EMAIL: 'conformance@proofloop.invalid',
	GIT_COMMITTER_NAME: 'Conformance',
	GIT_COMMITTER_EMAIL: 'conformance@proofloop.invalid',
};

async function git(cwd, args, input) {
	const result = await run('git', args, cwd, identity, input);
	if (result.status !== 0) throw new Error(`git ${args.join(' ')} failed: ${result.stderr || result.error}`);
	return result.stdout.trim();
}

// Build the case's repo: empty commits made with plumbing (fast, no hooks,
// no checkout), then the untracked inputs in the working tree.
async function buildRepo(dir, testCase) {
	await git(dir, ['init', '-q', '--template=', '-b', 'main']);
	const init = await git(dir, ['commit-tree', EMPTY_TREE, '-m', 'init']);
	await git(dir, ['update-ref', 'refs/heads/main', init]);
	const shas = {init};
	const heads = {main: init};
	for (const commit of testCase.commits ?? []) {
		const parent = heads[commit.branch] ?? init;
		// `merge: <branch>` makes a two-parent commit: that branch's head becomes the second parent.
		const second = commit.merge ? ['-p', heads[commit.merge] ?? init] : [];
		const sha = await git(dir, ['commit-tree', EMPTY_TREE, '-p', parent, ...second, '-m', commit.message]);
		await git(dir, ['update-ref', `refs/heads/${commit.branch}`, sha]);
		heads[commit.branch] = sha;
		shas[commit.name] = sha;
	}

	const fill = (text) =>
		text.replace(/\{\{commit:([^}]+)\}\}/g, (_, name) => {
			if (!(name in shas)) throw new Error(`unknown commit placeholder '${name}'`);
			return shas[name];
		});
	if (testCase.config) {
		mkdirSync(join(dir, '.proofloop'), {recursive: true});
		writeFileSync(join(dir, '.proofloop', 'config.json'), JSON.stringify(testCase.config, null, 2));
	}
	if (testCase.tickets) {
		const ticketDir = join(dir, testCase.config?.tracker?.dir ?? '.proofloop/tickets');
		mkdirSync(ticketDir, {recursive: true});
		for (const [name, text] of Object.entries(testCase.tickets)) writeFileSync(join(ticketDir, name), fill(text));
	}
	if (testCase.ledger) {
		const {ref = 'refs/heads/proofloop-ledger', records = [], lines, gates} = testCase.ledger;
		const jsonl = (items) => items.map((item) => `${fill(typeof item === 'string' ? item : JSON.stringify(item))}\n`).join('');
		const blob = await git(dir, ['hash-object', '-w', '--stdin'], jsonl(lines ?? records));
		let entries = `100644 blob ${blob}\tmerges.jsonl\n`;
		if (gates) entries = `100644 blob ${await git(dir, ['hash-object', '-w', '--stdin'], jsonl(gates))}\tgates.jsonl\n${entries}`;
		const tree = await git(dir, ['mktree'], entries);
		await git(dir, ['update-ref', ref, await git(dir, ['commit-tree', tree, '-m', 'proofloop ledger'])]);
	}
	// Last, so nothing above reads the forged content: what a process that can write .git does after a run.
	for (const {object, replace: [from, to]} of testCase.forge ?? []) {
		const id = await git(dir, ['rev-parse', '--verify', fill(object)]);
		const type = await git(dir, ['cat-file', '-t', id]);
		const original = (await run('git', ['cat-file', type, id], dir)).stdout;
		if (!original.includes(fill(from))) throw new Error(`forge: ${object} does not hold ${JSON.stringify(from)}`);
		const content = Buffer.from(original.replace(fill(from), fill(to)));
		const file = join(dir, '.git', 'objects', id.slice(0, 2), id.slice(2));
		chmodSync(file, 0o644);
		writeFileSync(file, deflateSync(Buffer.concat([Buffer.from(`${type} ${content.length}\0`), content])));
	}
	const args = (testCase.args ?? []).map(fill);
	if (testCase.manifest) {
		const manifest = join(dir, '.proofloop', 'runs', 'conformance', 'manifest.json');
		mkdirSync(dirname(manifest), {recursive: true});
		writeFileSync(manifest, fill(JSON.stringify(testCase.manifest, null, 2)));
		args.unshift('--manifest', manifest);
	}
	return args;
}

async function runCase(oracle, name, testCase) {
	const dir = mkdtempSync(join(tmpdir(), `proofloop-conformance-${name}-`));
	try {
		const args = await buildRepo(dir, testCase);
		const result = await run(process.execPath, [oracle, '--repo', dir, ...args], dir);
		const output = `${result.stdout}${result.stderr}`;
		const problems = [];
		if (result.status !== testCase.expected_exit) problems.push(`expected ${testCase.expected_exit}, got ${result.status}`);
		for (const text of testCase.output_includes ?? []) {
			if (!output.includes(text)) problems.push(`output lacks ${JSON.stringify(text)}`);
		}
		return {problems, output};
	} finally {
		rmSync(dir, {recursive: true, force: true});
	}
}

async function judgeCase(oracle, casesDir, file) {
	const name = file.slice(0, -'.json'.length);
	let testCase;
	try {
		testCase = JSON.parse(readFileSync(join(casesDir, file), 'utf8'));
		return {name, testCase, ...(await runCase(oracle, name, testCase))};
	} catch (error) {
		return {name, testCase, problems: [`case could not run: ${error.message}`], output: ''};
	}
}

async function main(argv) {
	const {oracle} = parseArgs(argv);
	const casesDir = join(here, 'cases');
	const names = readdirSync(casesDir).filter((f) => f.endsWith('.json')).sort();
	const outcomes = new Array(names.length);
	let next = 0;
	const worker = async () => {
		while (next < names.length) {
			const index = next++;
			outcomes[index] = await judgeCase(oracle, casesDir, names[index]);
		}
	};
	await Promise.all(Array.from({length: PARALLEL}, worker));
	let passed = 0;
	let failed = 0;
	for (const outcome of outcomes) {
		if (outcome.problems.length === 0) {
			passed++;
			console.log(`ok   ${outcome.name} (exit ${outcome.testCase.expected_exit})`);
		} else {
			failed++;
			console.log(`FAIL ${outcome.name}: ${outcome.problems.join('; ')}`);
			for (const line of outcome.output.trimEnd().split('\n')) console.log(`       | ${line}`);
		}
	}
	console.log(`conformance: ${passed} passed, ${failed} failed`);
	return failed === 0 && passed > 0 ? 0 : 1;
}

process.exitCode = await main(process.argv.slice(2));
