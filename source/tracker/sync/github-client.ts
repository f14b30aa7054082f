import Bottleneck from 'bottleneck';
import {Octokit} from '@octokit/rest';
import {retry} from '@octokit/plugin-retry';
import {throttling} from '@octokit/plugin-throttling';
import {RemoteUnavailableError, SyncInputError} from './source.js';

// The one way this program talks to GitHub: octokit with GitHub's recommended
// pacing (plugin-throttling: one write a second, content creation every three),
// retries of 5xx answers (plugin-retry), a rate limit waited out when it lifts
// soon and reported with its reset time when it does not.

const GitHub = Octokit.plugin(throttling, retry);
export type GitHubClient = InstanceType<typeof GitHub>;

/** The longest a rate limit is waited out inside one sync; longer, the sync says when to try again. */
const MAX_WAIT_SECONDS = 60;

export type ClientOptions = {
	token: string;
	apiUrl: string;
	userAgent: string;
	/** Milliseconds per second of every pause (GitHub's pacing, retry backoff, rate-limit waits): 1000; tests shrink it. */
	pace?: number;
};

export function githubClient(opts: ClientOptions): {octokit: GitHubClient; limitedUntil: () => number | undefined} {
	const pace = opts.pace ?? 1000;
	let limitedUntil: number | undefined;
	const onLimit = (retryAfter: number, _options: unknown, _octokit: unknown, retryCount: number): boolean => {
		if (retryCount < 2 && retryAfter <= MAX_WAIT_SECONDS) return true;
		limitedUntil = Date.now() + retryAfter * 1000;
		return false;
	};
	const group = (minTime: number) => new Bottleneck.Group({maxConcurrent: 1, minTime: minTime * pace});
	const octokit = new GitHub({
		auth: opts.token,
		baseUrl: opts.apiUrl.replace(/\/+$/, ''),
		userAgent: opts.userAgent,
		log: {debug: () => {}, info: () => {}, warn: () => {}, error: () => {}},
		retry: {retryAfterBaseValue: pace},
		throttle: {
			onRateLimit: onLimit,
			onSecondaryRateLimit: onLimit,
			retryAfterBaseValue: pace,
			write: group(1),
			notifications: group(3),
			search: group(2),
		},
	});
	return {octokit, limitedUntil: () => limitedUntil};
}

/** An octokit failure as a message; a remote that is down, limited or unreachable becomes RemoteUnavailableError. */
export function githubFailure(error: unknown, what: string, limitedUntil: number | undefined): Error {
	const status = (error as {status?: number}).status;
	const headers = (error as {response?: {headers?: Record<string, string>}}).response?.headers ?? {};
	const message = (error as Error).message?.split('\n')[0] ?? String(error);
	if (status === 403 || status === 429) {
		const reset = Number(headers['x-ratelimit-reset']);
		const retryAt = limitedUntil ?? (Number.isFinite(reset) && reset > 0 ? reset * 1000 : Date.now() + 60_000);
		if (headers['x-ratelimit-remaining'] === '0' || /rate limit/i.test(message) || limitedUntil !== undefined)
			return new RemoteUnavailableError(`GitHub rate limit while ${what}: ${message}`, retryAt);
	}
	if (status === undefined || status >= 500 || status === 0) {
		return new RemoteUnavailableError(`GitHub unreachable while ${what}: ${message}`, Date.now() + 5 * 60_000);
	}
	if (status === 401)
		return new SyncInputError(`GitHub refused the token while ${what} (401): ${message}\n  fix: a valid token in GITHUB_TOKEN, or \`gh auth login\``);
	return new SyncInputError(
		`GitHub answered ${status} while ${what}: ${message}\n  fix: check sync.repo and the selection in .proofloop/config.json, and that the token may read and write its issues`,
	);
}
