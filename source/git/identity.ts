import {runGit} from './run.js';

export const fallbackName = 'proofloop';
export const fallbackEmail = 'proofloop@localhost';

/**
 * Environment that gives git an author and committer when the repository has
 * none configured (a fresh CI box, a container). Without it every commit,
 * merge and commit-tree would die with "Please tell me who you are", which an
 * unattended run cannot answer. A configured identity always wins: we only
 * fill the roles git would otherwise have to guess.
 */
export async function identityEnv(cwd: string): Promise<Record<string, string>> {
	const config = await readIdentityConfig(cwd);
	const env: Record<string, string> = {};
	for (const role of ['author', 'committer'] as const) {
		const upper = role.toUpperCase();
		const name = process.env[`GIT_${upper}_NAME`] || config.get(`${role}.name`) || config.get('user.name');
		const email = process.env[`GIT_${upper}_EMAIL`] || config.get(`${role}.email`) || config.get('user.email') || process.env.EMAIL;
		if (!name) env[`GIT_${upper}_NAME`] = fallbackName;
		if (!email) env[`GIT_${upper}_EMAIL`] = fallbackEmail;
	}
	return env;
}

/**
 * `['-S']` when the user signs every commit (commit.gpgSign): commit-tree, being
 * plumbing, does not read that setting itself (git 2.39), and a branch rule may require it.
 */
export async function signFlag(cwd: string): Promise<string[]> {
	const answer = await cachedConfig(cwd, ['config', '--type=bool', 'commit.gpgSign']);
	return answer?.trim() === 'true' ? ['-S'] : [];
}

async function readIdentityConfig(cwd: string): Promise<Map<string, string>> {
	// One call for all six keys; exit 1 just means none is set.
	const stdout = await cachedConfig(cwd, ['config', '-z', '--get-regexp', '^(user|author|committer)\\.(name|email)$']);
	const config = new Map<string, string>();
	if (stdout === undefined) return config;
	for (const entry of stdout.split('\0')) {
		const newline = entry.indexOf('\n');
		if (newline > 0) config.set(entry.slice(0, newline).toLowerCase(), entry.slice(newline + 1));
	}
	return config;
}

/**
 * A config read, asked once per directory and process: every commit, merge and
 * ledger append needs it, and it cannot change under a run (its config files
 * are hashed at the start; a change halts the run). Exit 1 (unset) is an
 * answer and is kept; a git that could not run is asked again next time.
 */
const configReads = new Map<string, Promise<string | undefined>>();

function cachedConfig(cwd: string, args: string[]): Promise<string | undefined> {
	const key = `${cwd}\0${args.join('\0')}`;
	const known = configReads.get(key);
	if (known) return known;
	const read = runGit(cwd, args).then(result => {
		if (result.exitCode !== 0 && result.exitCode !== 1) configReads.delete(key);
		return result.exitCode === 0 ? result.stdout : undefined;
	});
	configReads.set(key, read);
	return read;
}
