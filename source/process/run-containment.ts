import path from 'node:path';
import {containRun, describeContainment, ESCAPE_WARNING, probeContainment} from './containment.js';

/**
 * Decide once, at engine start, how this run's processes are contained
 * (containment.ts), and kill what a crashed engine of the same run left in
 * its cgroups. What the log and the report say: the description, a loud
 * warning where nothing but the process group and the run marker holds, and
 * what was killed.
 */
export function startRunContainment(run: {id: string; dir: string}, env: Record<string, string | undefined>): {description: string; warnings: string[]} {
	const mode = probeContainment(env);
	const killed = containRun(run.id, mode, path.join(run.dir, 'containment.json'));
	const warnings: string[] = [];
	if (mode.kind === 'group')
		warnings.push(
			`${ESCAPE_WARNING} (${mode.reason}). fix: run as root or with a delegated cgroup v2 (systemd-run --user --scope -p Delegate=yes proofloop run), ` +
				`or use the bwrap sandbox for agents`,
		);
	if (killed.length > 0) warnings.push(`killed ${killed.length} process(es) left in this run's cgroups by the previous engine: ${killed.join(', ')}`);
	return {description: describeContainment(mode), warnings};
}
