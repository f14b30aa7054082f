/**
 * Every subcommand, with a bad argument, is refused as bad input: exit 2, a
 * message on stderr, no stack trace, nothing written. The commands are listed
 * from commander's program object, so a new one is walked without being named here.
 */
import {readdirSync, statSync} from 'node:fs';
import path from 'node:path';
import {execa} from 'execa';
import type {Command} from 'commander';
import {beforeAll, describe, expect, it} from 'vitest';
import {buildProgram} from '../../source/commands/program.js';
import {makeRepo, runCli} from '../helpers/repo.js';

/** Each leaf command as its words (`ticket file`), with whether it takes a required argument. */
function leaves(command: Command, prefix: string[] = []): Array<{words: string[]; needsArgument: boolean}> {
	return command.commands.flatMap(sub => {
		const words = [...prefix, sub.name()];
		if (sub.commands.length > 0) return leaves(sub, words);
		return [{words, needsArgument: sub.registeredArguments.some(arg => arg.required)}];
	});
}

/** Every file under the repo (its .git too: refs, worktrees, the index) with its size and mtime. */
function snapshot(root: string): string[] {
	const out: string[] = [];
	const walk = (dir: string): void => {
		for (const entry of readdirSync(dir, {withFileTypes: true})) {
			const full = path.join(dir, entry.name);
			if (entry.isDirectory()) walk(full);
			else {
				const stat = statSync(full, {throwIfNoEntry: false});
				out.push(`${path.relative(root, full)} ${stat?.size} ${stat?.mtimeMs}`);
			}
		}
	};
	walk(root);
	return out.sort();
}

// Value-level bad input a person (or a worker) could type; the walk adds an unknown option and a missing argument for every command.
const BAD_VALUES: string[][] = [
	['report', 'nope'],
	['report', '../../etc'],
	['tail', 'NOPE'],
	['gate'],
	['gate', 'NOPE', '--reason', 'x'],
	['ungate', 'NOPE'],
	['retry', 'NOPE', '--reason', 'x'],
	['reset', 'NOPE', '--reason', 'x'],
	['retry', 'A'],
	['retry', 'A', '--reason', 'x'],
	['reset', 'A', '--reason', 'x'],
	['gate', 'A', '--reason', 'x'],
	['ungate', 'A'],
	['oracle', '--batch'],
	['oracle', '--run', 'nope'],
	['init', '--agent', 'gpt-9'],
	['init', '--batch'],
	['ticket', 'blocked', '--wall', 'w', '--tried', 't'],
	['ticket', 'file', '--title', 't'],
	['ticket', 'note'],
	['demo', '--dir', 'README.md'],
	['demo', '--dir', 'README.md/sub'],
	['demo', '--dir', '.'],
	['plan'],
	['plan', '--from-file', 'nope.md'],
	['plan', 'Do it.', '--batch', 'b'],
	['plan', 'Do it.', '--batch', '../x'],
	['sync', 'pull'],
	['sync', 'check'],
	['nosuch'],
];

let root: string;
let program: Command;

beforeAll(async () => {
	program = await buildProgram('0.0.0');
	// A repository with a finished run, so the verbs that read one get that far.
	const repo = makeRepo({tickets: [{id: 'A'}]});
	root = repo.root;
	const run = await runCli(root, ['run', '--headless'], {FAKE_AGENT_PLAN: repo.plan});
	expect(run.exitCode).toBe(0);
	// Settle the files a run's end leaves, so the snapshot compares like with like.
	await execa('git', ['status'], {cwd: root});
}, 120_000);

async function expectRefused(args: string[]): Promise<void> {
	const before = snapshot(root);
	const result = await runCli(root, args);
	const what = `proofloop ${args.join(' ')}\nstdout: ${result.stdout}\nstderr: ${result.stderr}`;
	expect(result.exitCode, what).toBe(2);
	expect(result.stderr.trim(), what).not.toBe('');
	// A fix follows every message: commander's usage hint, or proofloop's own "fix:" line.
	expect(result.stderr, what).toMatch(/fix: |for its usage|for the commands/);
	expect(result.stderr, what).not.toMatch(/internal error|\n\s+at .+:\d+:\d+/);
	expect(snapshot(root), what).toEqual(before);
}

describe('every subcommand refuses bad input with exit 2, a message and no stack trace, writing nothing', () => {
	it('lists the commands from the program (a new one is walked too)', () => {
		const names = leaves(program).map(leaf => leaf.words.join(' '));
		expect(names).toEqual(expect.arrayContaining(['init', 'run', 'status', 'gate', 'report', 'ticket file', 'ticket blocked', 'demo', 'oracle']));
	});

	it('an unknown option, and a missing argument, to each one', async () => {
		for (const leaf of leaves(program)) {
			await expectRefused([...leaf.words, '--no-such-option']);
			if (leaf.needsArgument) await expectRefused(leaf.words);
		}
	}, 300_000);

	it.each(BAD_VALUES.map(args => [args.join(' '), args]))(
		'%s',
		async (_, args) => {
			await expectRefused(args as string[]);
		},
		60_000,
	);
});
