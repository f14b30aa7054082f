import {execFileSync} from 'node:child_process';

/** The variables that carry a tracker's token: read by the sync, never handed to an agent, a check or a verify. */
export const TRACKER_TOKEN_VARS = ['GITHUB_TOKEN', 'GH_TOKEN', 'LINEAR_API_KEY'] as const;

export class MissingTokenError extends Error {
	constructor(message: string) {
		super(message);
		this.name = 'MissingTokenError';
	}
}

/**
 * The GitHub token: GITHUB_TOKEN, else GH_TOKEN, else what `gh auth token` prints.
 * Kept in the sync's memory only; never written to process.env or a file.
 */
export function githubToken(env: NodeJS.ProcessEnv): string {
	const fromEnv = env['GITHUB_TOKEN'] ?? env['GH_TOKEN'];
	if (fromEnv) return fromEnv;
	try {
		const out = execFileSync('gh', ['auth', 'token'], {encoding: 'utf8', timeout: 10_000, stdio: ['ignore', 'pipe', 'ignore'], env: {...env}}).trim();
		if (out) return out;
	} catch {
		// Not installed or not logged in: said below.
	}
	throw new MissingTokenError(
		'no GitHub token: GITHUB_TOKEN is not set and `gh auth token` gave none\n  fix: export GITHUB_TOKEN=<a token with issues read/write>, or `gh auth login`',
	);
}

/** The Linear API key: LINEAR_API_KEY. Kept in the sync's memory only. */
export function linearApiKey(env: NodeJS.ProcessEnv): string {
	const key = env['LINEAR_API_KEY'];
	if (key) return key;
	throw new MissingTokenError(
		'no Linear API key: LINEAR_API_KEY is not set\n  fix: export LINEAR_API_KEY=<a personal API key, Linear settings > Security & access>',
	);
}

/** The environment without any tracker token: what a run hands its agents, checks and verify. */
export function withoutTrackerTokens<T extends Record<string, string | undefined>>(env: T): T {
	const out = {...env};
	for (const name of TRACKER_TOKEN_VARS) delete out[name];
	return out;
}
