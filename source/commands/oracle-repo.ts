import {spawnSync} from 'node:child_process';
import {locatorVars} from '../lib/git-locator-vars.js';

function git(cwd: string, args: string[]): {ok: boolean; stdout: string} {
	const env = {...process.env};
	for (const name of locatorVars) delete env[name];
	const result = spawnSync('git', args, {cwd, env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe']});
	return {ok: result.status === 0, stdout: result.stdout ?? ''};
}

/**
 * The root of the repository `proofloop oracle` judges, found with two git
 * processes and no git layer loaded (its modules cost more than the verdict
 * at 1,000 tickets). Anything unusual (no repository, a bare one, no commit on
 * a branch) goes through openRepo, which says what is wrong and the fix.
 */
export async function oracleRepoRoot(cwd: string): Promise<string> {
	const top = git(cwd, ['rev-parse', '--show-toplevel']);
	const root = top.stdout.trim();
	if (top.ok && root !== '') {
		const branch = git(root, ['for-each-ref', '--count=1', '--format=%(objectname)', 'refs/heads']);
		if (branch.ok && branch.stdout.trim() !== '') return root;
	}
	const {openRepo} = await import('../git/index.js');
	return (await openRepo(cwd)).root;
}
