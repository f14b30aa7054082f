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
// [{name, branch, message}], args?, output_includes?: ["..."]}. Ticket texts,
// the manifest and args may use {{commit:NAME}}; "init" is the first commit.

import {spawnSync} from 'node:child_process';
import {mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {dirname, join, resolve} from 'node:path';
import {fileURLToPath} from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));

function parseArgs(argv) {
	let oracle = join(here, '..', 'oracle.mjs');
	for (let i = 0; i < argv.length; i++) {
		if (argv[i] === '--oracle' && argv[i + 1] !== undefined) oracle = resolve(argv[++i]);
		else throw new Error(`usage: run.mjs [--oracle <path>] (got '${argv[i]}')`);
	}
	return {oracle};
}

function git(cwd, args) {
	const result = spawnSync('git', args, {cwd, encoding: 'utf8'});
	if (result.status !== 0) throw new Error(`git ${args.join(' ')} failed: ${result.stderr || result.error}`);
	return result.stdout.trim();
}

// Build the case's repo: commits first (all empty), then the untracked inputs.
function buildRepo(dir, testCase) {
	git(dir, ['init', '-q', '-b', 'main']);
	git(dir, ['config', 'user.name', 'Conformance']);
	git(dir, ['config', 'user.email', 'conformance@proofloop.invalid']);
	git(dir, ['config', 'commit.gpgsign', 'false']);
	git(dir, ['commit', '-q', '--allow-empty', '-m', 'init']);
	const shas = {init: git(dir, ['rev-parse', 'HEAD'])};
	for (const commit of testCase.commits ?? []) {
		const exists = spawnSync('git', ['rev-parse', '--verify', '--quiet', `refs/heads/${commit.branch}`], {cwd: dir}).status === 0;
		git(dir, exists ? ['checkout', '-q', commit.branch] : ['checkout', '-q', '-b', commit.branch, shas.init]);
		git(dir, ['commit', '-q', '--allow-empty', '-m', commit.message]);
		shas[commit.name] = git(dir, ['rev-parse', 'HEAD']);
	}
	git(dir, ['checkout', '-q', 'main']);

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
	const args = (testCase.args ?? []).map(fill);
	if (testCase.manifest) {
		const manifest = join(dir, '.proofloop', 'runs', 'conformance', 'manifest.json');
		mkdirSync(dirname(manifest), {recursive: true});
		writeFileSync(manifest, fill(JSON.stringify(testCase.manifest, null, 2)));
		args.unshift('--manifest', manifest);
	}
	return args;
}

function runCase(oracle, name, testCase) {
	const dir = mkdtempSync(join(tmpdir(), `proofloop-conformance-${name}-`));
	try {
		const args = buildRepo(dir, testCase);
		const result = spawnSync(process.execPath, [oracle, '--repo', dir, ...args], {encoding: 'utf8'});
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

function main(argv) {
	const {oracle} = parseArgs(argv);
	const casesDir = join(here, 'cases');
	const names = readdirSync(casesDir).filter((f) => f.endsWith('.json')).sort();
	let passed = 0;
	let failed = 0;
	for (const file of names) {
		const name = file.slice(0, -'.json'.length);
		let testCase;
		let outcome;
		try {
			testCase = JSON.parse(readFileSync(join(casesDir, file), 'utf8'));
			outcome = runCase(oracle, name, testCase);
		} catch (error) {
			outcome = {problems: [`case could not run: ${error.message}`], output: ''};
		}
		if (outcome.problems.length === 0) {
			passed++;
			console.log(`ok   ${name} (exit ${testCase.expected_exit})`);
		} else {
			failed++;
			console.log(`FAIL ${name}: ${outcome.problems.join('; ')}`);
			for (const line of outcome.output.trimEnd().split('\n')) console.log(`       | ${line}`);
		}
	}
	console.log(`conformance: ${passed} passed, ${failed} failed`);
	return failed === 0 && passed > 0 ? 0 : 1;
}

process.exitCode = main(process.argv.slice(2));
