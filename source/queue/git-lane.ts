/**
 * One git conversation with the remote at a time, and the refs asked for while
 * one runs go together in the next: attempts that start (or end) at once cost
 * two pushes or fetches, not one each in a row. A batch that fails is tried
 * request by request, so that a failure is only its own.
 */
import {runGit, type GitResult} from '../git/run.js';

type Waiting = {refspecs: string[]; done: (result: GitResult) => void};

/** `lane(refspecs)` runs `git <command> <refspecs>` in `cwd`, with whatever else waits; resolves with how its own refs went. */
export function gitLane(
	cwd: string,
	command: string[],
	/** Around each git run (a lock it must hold). */
	around: (run: () => Promise<GitResult>) => Promise<GitResult> = run => run(),
): (refspecs: string[]) => Promise<GitResult> {
	let waiting: Waiting[] = [];
	let running: Promise<void> | undefined;
	const run = (refspecs: string[]) => around(() => runGit(cwd, [...command, ...refspecs]));
	const drain = async () => {
		while (waiting.length > 0) {
			const batch = waiting;
			waiting = [];
			const together = await run([...new Set(batch.flatMap(w => w.refspecs))]);
			if (together.exitCode === 0 || batch.length === 1) {
				for (const w of batch) w.done(together);
				continue;
			}
			for (const w of batch) w.done(await run(w.refspecs));
		}
		running = undefined;
	};
	return refspecs =>
		new Promise(done => {
			waiting.push({refspecs, done});
			running ??= drain();
		});
}
