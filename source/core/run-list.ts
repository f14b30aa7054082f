import {existsSync, readdirSync} from 'node:fs';
import path from 'node:path';
import {runsDir} from './paths.js';

// Where a run's files are, and which runs there are: nothing here parses them, so
// `proofloop oracle` finds its run's manifest without loading zod or the event log.

export type RunDir = {
	id: string;
	dir: string;
	manifestFile: string;
	eventsFile: string;
	logFile: (ticket: string, attempt: number) => string;
	promptFile: (ticket: string, attempt: number) => string;
};

export function runDir(repoRoot: string, id: string): RunDir {
	const dir = path.join(runsDir(repoRoot), id);
	return {
		id,
		dir,
		manifestFile: path.join(dir, 'manifest.json'),
		eventsFile: path.join(dir, 'events.jsonl'),
		logFile: (ticket, attempt) => path.join(dir, 'logs', ticket, `${attempt}.log`),
		promptFile: (ticket, attempt) => path.join(dir, 'prompts', ticket, `${attempt}.md`),
	};
}

/** Runs, newest first. */
export function listRuns(repoRoot: string): RunDir[] {
	const root = runsDir(repoRoot);
	if (!existsSync(root)) return [];
	return readdirSync(root, {withFileTypes: true})
		.filter(entry => entry.isDirectory() && existsSync(path.join(root, entry.name, 'manifest.json')))
		.map(entry => runDir(repoRoot, entry.name))
		.sort((a, b) => b.id.localeCompare(a.id));
}
