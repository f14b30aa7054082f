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

async function readIdentityConfig(cwd: string): Promise<Map<string, string>> {
	// One call for all six keys; exit 1 just means none is set.
	const result = await runGit(cwd, ['config', '-z', '--get-regexp', '^(user|author|committer)\\.(name|email)$']);
	const config = new Map<string, string>();
	if (result.exitCode !== 0) return config;
	for (const entry of result.stdout.split('\0')) {
		const newline = entry.indexOf('\n');
		if (newline > 0) config.set(entry.slice(0, newline).toLowerCase(), entry.slice(newline + 1));
	}
	return config;
}
