import type {LinearClient, LinearError} from '@linear/sdk';
import {RemoteUnavailableError, SyncInputError} from './source.js';

// The one way this program talks to Linear: the SDK's GraphQL client, one
// request at a time and never sooner than the configured interval after the
// last (Linear allows 2,500 requests an hour), its rate-limit answer waited out
// when it lifts soon and reported with its reset time when it does not.

/** The longest a rate limit is waited out inside one sync; longer, the sync says when to try again. */
const MAX_WAIT_SECONDS = 60;
const RETRIES = 2;

export type LinearClientOptions = {
	apiKey: string;
	apiUrl: string;
	/** Seconds between two requests, at least. */
	minInterval: number;
	/** Milliseconds per second of every pause (the interval, rate-limit waits, 5xx backoff): 1000; tests shrink it. */
	pace?: number;
};

export type LinearRequest = <T>(what: string, query: string, variables: Record<string, unknown>) => Promise<T>;

const sleep = (ms: number) => new Promise(resolve => setTimeout(resolve, ms));

/** Linear's rate-limit answer: HTTP 400 with extensions.code RATELIMITED (or type "ratelimited"), or a 429. */
function isRateLimited(error: unknown): boolean {
	// The SDK's RatelimitedLinearError (its type "Ratelimited"): 429, or extensions.type "ratelimited".
	if ((error as {type?: string}).type === 'Ratelimited') return true;
	const raw = (error as {raw?: {response?: {errors?: Array<{extensions?: {code?: string}}>}}}).raw;
	return (raw?.response?.errors ?? []).some(e => e.extensions?.code === 'RATELIMITED');
}

/** Seconds until the limit lifts: retry-after, else the requests reset (epoch ms), else a minute. */
function waitSeconds(error: unknown): number {
	const headers = (error as {raw?: {response?: {headers?: Headers}}}).raw?.response?.headers;
	const header = (name: string): number | undefined => {
		const value = headers?.get(name);
		return value === null || value === undefined || value === '' || !Number.isFinite(Number(value)) ? undefined : Number(value);
	};
	const after = header('retry-after');
	if (after !== undefined && after >= 0) return after;
	const reset = header('x-ratelimit-requests-reset');
	if (reset !== undefined && reset > 0) return Math.max(0, (reset - Date.now()) / 1000);
	return MAX_WAIT_SECONDS;
}

export function linearRequester(opts: LinearClientOptions): LinearRequest {
	const pace = opts.pace ?? 1000;
	// The SDK is 3 MB of module: loaded on the first request, not by every run that imports the sync.
	let client: LinearClient | undefined;
	let last = 0;
	let queue: Promise<unknown> = Promise.resolve();
	const paced = async <T>(query: string, variables: Record<string, unknown>): Promise<T> => {
		const gap = last + opts.minInterval * pace - Date.now();
		if (gap > 0) await sleep(gap);
		client ??= new (await import('@linear/sdk')).LinearClient({apiKey: opts.apiKey, apiUrl: opts.apiUrl});
		last = Date.now();
		return (await client.client.rawRequest<T, Record<string, unknown>>(query, variables)).data as T;
	};
	const attempt = async <T>(what: string, query: string, variables: Record<string, unknown>): Promise<T> => {
		for (let tries = 0; ; tries++) {
			try {
				return await paced<T>(query, variables);
			} catch (error) {
				if (isRateLimited(error)) {
					const wait = waitSeconds(error);
					if (tries < RETRIES && wait <= MAX_WAIT_SECONDS) {
						await sleep(wait * pace);
						continue;
					}
					throw new RemoteUnavailableError(`Linear rate limit while ${what}: ${(error as Error).message}`, Date.now() + wait * 1000);
				}
				const status = (error as LinearError).status;
				if (status === undefined || status >= 500) {
					if (tries < RETRIES) {
						await sleep(2 ** tries * pace);
						continue;
					}
					throw new RemoteUnavailableError(`Linear unreachable while ${what}: ${(error as Error).message.split('\n')[0]}`, Date.now() + 5 * 60_000);
				}
				if (status === 401 || status === 403)
					throw new SyncInputError(
						`Linear refused the API key while ${what} (${status}): ${(error as Error).message}\n  fix: a valid personal API key in LINEAR_API_KEY`,
					);
				throw new SyncInputError(
					`Linear answered ${status} while ${what}: ${(error as Error).message}\n  fix: check sync.team and the selection in .proofloop/config.json`,
				);
			}
		}
	};
	// One request at a time, so the interval holds across callers too.
	return <T>(what: string, query: string, variables: Record<string, unknown>): Promise<T> => {
		const next = queue.then(() => attempt<T>(what, query, variables));
		queue = next.catch(() => {});
		return next;
	};
}
