/**
 * The coordinator's pushes to the shared remote: one `git push` at a time (base
 * never goes back to an older commit), and what is asked for while one runs
 * goes together in the next, so a wave of attempts starting at once costs two
 * pushes, not one each.
 */
import {GitError, briefStderr} from '../git/errors.js';
import {runGit, type GitResult} from '../git/run.js';

type Waiting = {refspecs: string[]; done: (result: GitResult) => void};

/** `push(refspecs)`: how its push ended (alone, or together with others that all went). */
export function pushLane(cwd: string, remote: string): (refspecs: string[]) => Promise<GitResult> {
	let waiting: Waiting[] = [];
	let running: Promise<void> | undefined;
	const push = (refspecs: string[]) => runGit(cwd, ['push', '-q', remote, ...refspecs]);
	const drain = async () => {
		while (waiting.length > 0) {
			const batch = waiting;
			waiting = [];
			const together = await push([...new Set(batch.flatMap(w => w.refspecs))]);
			if (together.exitCode === 0 || batch.length === 1) {
				for (const w of batch) w.done(together);
				continue;
			}
			// One refused ref fails the whole push: each alone then, so that a failure is only its own.
			for (const w of batch) w.done(await push(w.refspecs));
		}
		running = undefined;
	};
	return refspecs =>
		new Promise(done => {
			waiting.push({refspecs, done});
			running ??= drain();
		});
}

/** A push's failure as mustGit reports one: what failed, git's words, the fix. */
export function mustHavePushed(result: GitResult, what: string, fix: string): void {
	if (result.exitCode !== 0)
		throw new GitError(`${what}: \`git push\` exited ${result.exitCode}: ${briefStderr(result.stderr)}; fix: ${fix}`, {
			args: ['push'],
			exitCode: result.exitCode,
			stderr: result.stderr,
		});
}
