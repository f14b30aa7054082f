// What every bench's repository starts with, and how a bench reads its run back.
import {execFileSync} from 'node:child_process';
import {mkdirSync, readFileSync, readdirSync, writeFileSync} from 'node:fs';
import path from 'node:path';

/** A git repository at `repo` with a README, the run directories ignored and an empty tracker; `git` runs in it. */
export function initBenchRepo(repo) {
	mkdirSync(path.join(repo, '.proofloop/tickets'), {recursive: true});
	const git = (...args) => execFileSync('git', args, {cwd: repo});
	git('init', '-q', '-b', 'main');
	git('config', 'user.name', 'bench');
	git('config', 'user.email', 'bench@proofloop.invalid');
	writeFileSync(path.join(repo, 'README.md'), '# bench\n');
	writeFileSync(path.join(repo, '.gitignore'), '.proofloop/runs/\n.proofloop/worktrees/\n');
	return git;
}

/** The events of the repository's (only) run. */
export function runEvents(repo) {
	const runs = path.join(repo, '.proofloop/runs');
	const runId = readdirSync(runs).find(name => /^\d/.test(name));
	return readFileSync(path.join(runs, runId, 'events.jsonl'), 'utf8')
		.trim()
		.split('\n')
		.map(line => JSON.parse(line));
}

/** Seconds from run.started to the last ticket.done, and how many were done. */
export function makespanOf(events) {
	const started = Date.parse(events.find(e => e.type === 'run.started').at);
	const done = events.filter(e => e.type === 'ticket.done').map(e => Date.parse(e.at));
	return {seconds: (Math.max(...done) - started) / 1000, done: done.length};
}
