import {closeSync, existsSync, openSync, readdirSync, readSync, statSync} from 'node:fs';
import path from 'node:path';
import type {Command} from 'commander';
import {openRepo} from '../git/index.js';
import {findEngine} from '../core/control-client.js';
import {listRuns, runDir} from '../core/run-dir.js';
import {InputError} from '../core/start-run.js';
import {reportError} from './errors.js';
import {setTimeout as sleep} from 'node:timers/promises';

/** The newest attempt log of a ticket in a run, by attempt number. */
function latestAttemptLog(dir: string): {attempt: number; file: string} | undefined {
	if (!existsSync(dir)) return undefined;
	const attempts = readdirSync(dir)
		.map(name => /^(\d+)\.log$/.exec(name))
		.filter((m): m is RegExpExecArray => m !== null)
		.map(m => Number(m[1]))
		.sort((a, b) => b - a);
	const attempt = attempts[0];
	return attempt === undefined ? undefined : {attempt, file: path.join(dir, `${attempt}.log`)};
}

function copyFrom(file: string, offset: number): number {
	const size = statSync(file).size;
	if (size < offset) offset = 0;
	if (size === offset) return offset;
	const fd = openSync(file, 'r');
	try {
		const buffer = Buffer.alloc(64 * 1024);
		let position = offset;
		while (position < size) {
			const read = readSync(fd, buffer, 0, Math.min(buffer.length, size - position), position);
			if (read <= 0) break;
			process.stdout.write(buffer.subarray(0, read));
			position += read;
		}
		return position;
	} finally {
		closeSync(fd);
	}
}

/** Print a ticket's current attempt log; with follow, keep printing, across attempts, until the run's engine is gone. */
export async function tail(cwd: string, ticket: string, opts: {follow?: boolean; run?: string}): Promise<void> {
	const repo = await openRepo(cwd);
	const run = opts.run ? runDir(repo.root, opts.run) : listRuns(repo.root)[0];
	if (!run) throw new InputError(`no run in ${repo.root} yet\n  fix: start one with \`proofloop run\``);
	const dir = path.join(run.dir, 'logs', ticket);
	let current = latestAttemptLog(dir);
	if (!current && !opts.follow)
		throw new InputError(`${ticket} has no attempt log in run ${run.id}\n  fix: check the id (\`proofloop status\`), or add -f to wait for its first attempt`);
	let offset = 0;
	if (current) {
		process.stdout.write(`==> ${ticket} attempt ${current.attempt} (${current.file}) <==\n`);
		offset = copyFrom(current.file, 0);
	}
	if (!opts.follow) return;
	let stopping = false;
	process.once('SIGINT', () => {
		stopping = true;
	});
	while (!stopping) {
		await sleep(200);
		const newest = latestAttemptLog(dir);
		if (newest && newest.attempt !== current?.attempt) {
			if (current) copyFrom(current.file, offset);
			current = newest;
			offset = 0;
			process.stdout.write(`\n==> ${ticket} attempt ${current.attempt} (${current.file}) <==\n`);
		}
		if (current) offset = copyFrom(current.file, offset);
		if (!findEngine(repo.root).ok) break;
	}
}

export function registerTail(program: Command): void {
	program
		.command('tail <ticket>')
		.description("print a ticket's current attempt log (raw agent, check and verify output)")
		.option('-f, --follow', 'keep following, across attempts, until the run ends (like tail -f)')
		.option('--run <id>', 'a run other than the newest')
		.action(async (ticket: string, opts: {follow?: boolean; run?: string}) => {
			try {
				await tail(process.cwd(), ticket, opts);
			} catch (error) {
				process.exitCode = reportError(error);
			}
		});
}
