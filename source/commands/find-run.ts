import {InputError} from '../core/input-error.js';
import {runsDir} from '../core/paths.js';
import {listRuns, type RunDir} from '../core/run-list.js';

/** The run a command names (`report <run>`, `oracle --run`), or the newest; an unknown id is bad input naming the runs there are. */
export function findRun(repoRoot: string, id: string | undefined): RunDir | undefined {
	const runs = listRuns(repoRoot);
	if (id === undefined) return runs[0];
	const run = runs.find(r => r.id === id);
	if (run) return run;
	if (runs.length === 0) throw new InputError(`no run in ${repoRoot} yet, so no run '${id}'\n  fix: start one with \`proofloop run\``);
	throw new InputError(
		`no run '${id}' in ${runsDir(repoRoot)}\n  fix: leave it out for the newest run, or name one of: ${runs
			.slice(0, 5)
			.map(r => r.id)
			.join(', ')}${runs.length > 5 ? ', ...' : ''}`,
	);
}
