/**
 * The coordinator's pushes to the shared remote: one `git push` at a time (base
 * never goes back to an older commit), and what is asked for while one runs
 * goes together in the next, so a wave of attempts starting at once costs two
 * pushes, not one each.
 */
import {GitError, briefStderr} from '../git/errors.js';
import type {GitResult} from '../git/run.js';
import {gitLane} from '../queue/git-lane.js';

/** `push(refspecs)`: how its push ended (alone, or together with others that all went). */
export const pushLane = (cwd: string, remote: string): ((refspecs: string[]) => Promise<GitResult>) => gitLane(cwd, ['push', '-q', remote]);

/** A push's failure as mustGit reports one: what failed, git's words, the fix. */
export function mustHavePushed(result: GitResult, what: string, fix: string): void {
	if (result.exitCode !== 0)
		throw new GitError(`${what}: \`git push\` exited ${result.exitCode}: ${briefStderr(result.stderr)}; fix: ${fix}`, {
			args: ['push'],
			exitCode: result.exitCode,
			stderr: result.stderr,
		});
}
