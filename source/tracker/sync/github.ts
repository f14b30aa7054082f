import type {GithubSyncConfig} from './config.js';
import {githubClient, githubFailure, type GitHubClient} from './github-client.js';
import {bodyForFiled, commentFor, marker} from './github-texts.js';
import {lite, slim, type Cache, type Lite, type RawIssue} from './github-issue.js';
import {RemoteIssueGoneError, type PushAction, type RemoteIssue, type RemoteSnapshot, type RemoteState, type SyncSource} from './source.js';

// GitHub Issues as a sync source. Repeat pulls are cheap: every GET is
// conditional (If-None-Match; a 304 costs no rate limit), and an issue's
// "blocked by" list is asked for only when its dependency summary says it has one.

export class GitHubSource implements SyncSource {
	readonly name = 'github';
	readonly where: string;
	readonly #owner: string;
	readonly #repo: string;
	readonly #octokit: GitHubClient;
	readonly #limitedUntil: () => number | undefined;
	readonly #cache: Cache;

	constructor(
		readonly config: GithubSyncConfig,
		opts: {token: string; userAgent: string; pace?: number; cache: Record<string, unknown>},
	) {
		this.where = config.repo;
		[this.#owner, this.#repo] = config.repo.split('/') as [string, string];
		const client = githubClient({token: opts.token, apiUrl: config.apiUrl, userAgent: opts.userAgent, ...(opts.pace === undefined ? {} : {pace: opts.pace})});
		this.#octokit = client.octokit;
		this.#limitedUntil = client.limitedUntil;
		opts.cache['etags'] ??= {};
		opts.cache['ids'] ??= {};
		this.#cache = opts.cache as Cache;
	}

	async fetch(): Promise<RemoteSnapshot> {
		return this.#guard('pulling issues', async () => {
			const warnings: string[] = [];
			const selected = (await this.#select()).filter(issue => issue.state === 'open');
			const byNumber = new Map(selected.map(issue => [issue.number, issue]));
			const blockers = new Map<number, number[]>();
			// Open blockers outside the selection come along (they must be done first); closed ones are done already.
			for (let i = 0; i < selected.length; i++) {
				const issue = selected[i]!;
				const open = await this.#openBlockers(issue, warnings);
				blockers.set(issue.number, open);
				for (const n of open) {
					if (byNumber.has(n)) continue;
					const extra = await this.#issue(n);
					if (extra.state !== 'open') continue;
					warnings.push(`pulled #${n} too: #${issue.number} is blocked by it and the selection leaves it out`);
					byNumber.set(n, extra);
					selected.push(extra);
				}
			}
			const issues: RemoteIssue[] = selected.map(issue => ({
				key: `github#${issue.number}`,
				label: `#${issue.number}`,
				title: issue.title,
				body: issue.body,
				blockedBy: (blockers.get(issue.number) ?? []).map(n => `github#${n}`),
				labels: issue.labels,
				url: issue.url,
			}));
			return {issues, warnings};
		});
	}

	async deliver(action: PushAction, resolve: (ticket: string) => string | undefined, onCreated?: (key: string) => Promise<void>): Promise<{created?: string}> {
		return this.#guard(`pushing ${action.kind} of ${action.ticket}`, async () => {
			if (action.kind === 'file') return {created: await this.#file(action, resolve, onCreated)};
			const number = Number(action.source.replace(/^github#/, ''));
			try {
				return await this.#deliverTo(number, action);
			} catch (error) {
				const status = (error as {status?: number}).status;
				if (status === 404 || status === 410)
					throw new RemoteIssueGoneError(`${action.source} is ${status === 410 ? 'deleted' : 'not found'} on GitHub (${status})`);
				throw error;
			}
		});
	}

	async #deliverTo(number: number, action: Exclude<PushAction, {kind: 'file'}>): Promise<{created?: string}> {
		if (action.kind === 'gated') {
			const issue = await this.#issue(number);
			if (!issue.labels.includes(this.config.gatedLabel))
				await this.#write('POST /repos/{owner}/{repo}/issues/{issue_number}/labels', {issue_number: number, labels: [this.config.gatedLabel]});
		}
		await this.#commentOnce(number, action);
		if (action.kind === 'done') {
			const issue = await this.#issue(number, true);
			if (issue.state === 'open')
				await this.#write('PATCH /repos/{owner}/{repo}/issues/{issue_number}', {issue_number: number, state: 'closed', state_reason: 'completed'});
		}
		return {};
	}

	async states(keys: string[]): Promise<RemoteState[]> {
		return this.#guard('reading issues', async () => {
			const out: RemoteState[] = [];
			for (const key of keys) {
				const number = Number(key.replace(/^github#/, ''));
				try {
					const issue = await this.#issue(number);
					out.push({key, state: issue.state === 'open' ? 'open' : 'closed'});
				} catch (error) {
					const status = (error as {status?: number}).status;
					if (status !== 404 && status !== 410) throw error;
					out.push({key, state: 'gone', reason: status === 410 ? 'deleted' : 'not found'});
				}
			}
			return out;
		});
	}

	async #guard<T>(what: string, work: () => Promise<T>): Promise<T> {
		try {
			return await work();
		} catch (error) {
			if (error instanceof RemoteIssueGoneError) throw error;
			throw githubFailure(error, what, this.#limitedUntil());
		}
	}

	// The selection, every page. Search when a query is configured, else the repository's issue list.
	async #select(): Promise<Lite[]> {
		const out: Lite[] = [];
		const {labels, milestone, query} = this.config;
		const milestoneNumber = milestone === undefined ? undefined : await this.#milestone(milestone);
		for (let page = 1; ; page++) {
			const got = query
				? await this.#get('GET /search/issues', {q: `repo:${this.config.repo} is:issue is:open ${query}`, per_page: 100, page}, (data: {items: RawIssue[]}) =>
						data.items.map(slim),
					)
				: await this.#get(
						'GET /repos/{owner}/{repo}/issues',
						{
							state: 'open',
							per_page: 100,
							page,
							...(labels ? {labels: labels.join(',')} : {}),
							...(milestoneNumber === undefined ? {} : {milestone: String(milestoneNumber)}),
						},
						(data: RawIssue[]) => data.map(slim),
					);
			for (const issue of got.value as RawIssue[]) if (issue.pull_request === undefined) out.push(lite(issue));
			if (!got.next) return out;
		}
	}

	async #milestone(milestone: string | number): Promise<number> {
		if (typeof milestone === 'number' || /^\d+$/.test(milestone)) return Number(milestone);
		for (let page = 1; ; page++) {
			const got = await this.#get('GET /repos/{owner}/{repo}/milestones', {state: 'all', per_page: 100, page}, (data: Array<{number: number; title: string}>) =>
				data.map(m => ({number: m.number, title: m.title})),
			);
			const found = (got.value as Array<{number: number; title: string}>).find(m => m.title === milestone);
			if (found) return found.number;
			if (!got.next)
				throw new Error(
					`${this.config.repo} has no milestone titled '${milestone}'\n  fix: correct sync.milestone in .proofloop/config.json (a title or a number)`,
				);
		}
	}

	async #openBlockers(issue: Lite, warnings: string[]): Promise<number[]> {
		if (issue.blockedTotal === 0) return [];
		const open: number[] = [];
		for (let page = 1; ; page++) {
			const got = await this.#get(
				'GET /repos/{owner}/{repo}/issues/{issue_number}/dependencies/blocked_by',
				{issue_number: issue.number, per_page: 100, page},
				(data: RawIssue[]) => data.map(slim),
			);
			for (const blocker of got.value as RawIssue[]) {
				this.#cache.ids[String(blocker.number)] = blocker.id;
				if (blocker.state !== 'open') continue;
				if (!blocker.repository_url.endsWith(`/repos/${this.config.repo}`)) {
					warnings.push(`#${issue.number} is blocked by ${blocker.html_url}, in another repository: not a dep (proofloop syncs one repository)`);
					continue;
				}
				open.push(blocker.number);
			}
			if (!got.next) return open;
		}
	}

	/** One issue; `fresh` skips the cache's answer only in that a 304 still confirms it. */
	async #issue(number: number, _fresh = false): Promise<Lite> {
		const got = await this.#get('GET /repos/{owner}/{repo}/issues/{issue_number}', {issue_number: number}, (data: RawIssue) => slim(data));
		const issue = lite(got.value as RawIssue);
		this.#cache.ids[String(number)] = issue.id;
		return issue;
	}

	async #commentOnce(number: number, action: Exclude<PushAction, {kind: 'file'}>): Promise<void> {
		const mark = marker(action);
		for (let page = 1; ; page++) {
			const got = await this.#get(
				'GET /repos/{owner}/{repo}/issues/{issue_number}/comments',
				{issue_number: number, per_page: 100, page},
				(data: Array<{body?: string}>) => data.map(c => ({body: c.body ?? ''})),
			);
			if ((got.value as Array<{body?: string}>).some(c => c.body?.includes(mark))) return;
			if (!got.next) break;
		}
		await this.#write('POST /repos/{owner}/{repo}/issues/{issue_number}/comments', {issue_number: number, body: commentFor(action)});
	}

	async #file(
		action: Extract<PushAction, {kind: 'file'}>,
		resolve: (ticket: string) => string | undefined,
		onCreated?: (key: string) => Promise<void>,
	): Promise<string> {
		const {labels, milestone} = this.config;
		const milestoneNumber = milestone === undefined ? undefined : await this.#milestone(milestone);
		const created = await this.#write('POST /repos/{owner}/{repo}/issues', {
			title: action.title,
			body: bodyForFiled(action),
			...(labels ? {labels} : {}),
			...(milestoneNumber === undefined ? {} : {milestone: milestoneNumber}),
		});
		const issue = created as RawIssue;
		this.#cache.ids[String(issue.number)] = issue.id;
		await onCreated?.(`github#${issue.number}`);
		const numberOf = (ticket: string): number | undefined => {
			const key = resolve(ticket);
			return key?.startsWith('github#') ? Number(key.slice('github#'.length)) : undefined;
		};
		for (const dep of action.blockedBy) {
			const n = numberOf(dep);
			if (n !== undefined)
				await this.#write('POST /repos/{owner}/{repo}/issues/{issue_number}/dependencies/blocked_by', {
					issue_number: issue.number,
					issue_id: await this.#idOf(n),
				});
		}
		for (const blocked of action.blocks) {
			const n = numberOf(blocked);
			if (n !== undefined) await this.#write('POST /repos/{owner}/{repo}/issues/{issue_number}/dependencies/blocked_by', {issue_number: n, issue_id: issue.id});
		}
		return `github#${issue.number}`;
	}

	async #idOf(number: number): Promise<number> {
		return this.#cache.ids[String(number)] ?? (await this.#issue(number)).id;
	}

	async #write(route: string, params: Record<string, unknown>): Promise<unknown> {
		const res = await this.#octokit.request(route, {owner: this.#owner, repo: this.#repo, ...params});
		return res.data;
	}

	// A conditional GET: the cached answer when GitHub says 304 Not Modified.
	async #get<T>(route: string, params: Record<string, unknown>, pick: (data: T) => unknown): Promise<{value: unknown; next: boolean}> {
		const key = `${route} ${JSON.stringify(params)}`;
		const cached = this.#cache.etags[key];
		try {
			const res = await this.#octokit.request(route, {owner: this.#owner, repo: this.#repo, ...params, headers: cached ? {'if-none-match': cached.etag} : {}});
			const value = pick(res.data as T);
			const next = /rel="next"/.test(String(res.headers.link ?? ''));
			if (res.headers.etag) this.#cache.etags[key] = {etag: res.headers.etag, value, ...(next ? {next} : {})};
			return {value, next};
		} catch (error) {
			if ((error as {status?: number}).status === 304 && cached) return {value: cached.value, next: cached.next ?? false};
			throw error;
		}
	}
}
