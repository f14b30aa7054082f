import {createHash} from 'node:crypto';
import {createServer, type IncomingMessage, type Server, type ServerResponse} from 'node:http';
import type {AddressInfo} from 'node:net';
import {assertGitHubError, assertGitHubShape} from './github-openapi.js';

// A scripted GitHub REST server for one repository, driven by the real octokit
// client. Every answer is checked against GitHub's OpenAPI description before
// it is sent. Tests script issues, dependencies and failures, and read back the
// requests and writes it got.

export type ScriptedIssue = {
	number: number;
	id: number;
	title: string;
	body: string;
	state: 'open' | 'closed';
	state_reason: 'completed' | 'reopened' | 'not_planned' | null;
	labels: string[];
	blockedBy: number[];
	comments: Array<{id: number; body: string; created_at: string}>;
	updated_at: string;
	created_at: string;
	milestone?: number;
	deleted?: boolean;
};

type Failure = {status: number; headers?: Record<string, string>; message: string; match?: RegExp};

const OWNER = 'acme';
const REPO = 'app';
const stamp = (n: number) => new Date(Date.UTC(2026, 0, 1, 0, 0, n)).toISOString().replace(/\.\d+Z$/, 'Z');

export class ScriptedGitHub {
	readonly issues = new Map<number, ScriptedIssue>();
	readonly milestones: Array<{number: number; title: string}> = [];
	readonly requests: Array<{method: string; path: string; status: number; auth?: string}> = [];
	readonly failures: Failure[] = [];
	/** Called with each request before it is answered ("POST /repos/acme/app/issues"): a test looks at the client's side mid-sync. */
	onRequest?: (request: string) => void;
	/** While true every request gets a 503, as when GitHub is down. */
	down = false;
	/** What the server could not answer as GitHub would (a shape off GitHub's description, a route it lacks); a test asserts none. */
	readonly defects: string[] = [];
	#server?: Server;
	#clock = 1;
	#nextComment = 1;
	url = '';
	readonly repo = `${OWNER}/${REPO}`;

	/** Writes (anything but GET) answered with success. */
	get writes(): Array<{method: string; path: string}> {
		return this.requests.filter(r => r.method !== 'GET' && r.status < 300);
	}

	add(fields: Partial<ScriptedIssue> & {title: string}): ScriptedIssue {
		const number = fields.number ?? this.issues.size + 1;
		const t = stamp(this.#clock++);
		const issue: ScriptedIssue = {
			number,
			id: 1000 + number,
			body: '',
			state: 'open',
			state_reason: null,
			labels: [],
			blockedBy: [],
			comments: [],
			created_at: t,
			updated_at: t,
			...fields,
		};
		this.issues.set(number, issue);
		return issue;
	}

	/** A person edits an issue on GitHub. */
	edit(number: number, change: Partial<ScriptedIssue>): void {
		Object.assign(this.issues.get(number)!, change, {updated_at: stamp(this.#clock++)});
	}

	async start(): Promise<this> {
		this.#server = createServer((req, res) => {
			let raw = '';
			req.on('data', chunk => (raw += chunk));
			req.on('end', () => {
				try {
					this.#handle(req, res, raw);
				} catch (error) {
					// Answered, so the client does not hang; a status octokit does not retry, and the test fails on `defects`.
					this.defects.push((error as Error).message);
					res.writeHead(422, {'content-type': 'application/json'});
					res.end(JSON.stringify({message: `scripted server defect: ${(error as Error).message}`}));
				}
			});
		});
		await new Promise<void>(resolve => this.#server!.listen(0, '127.0.0.1', resolve));
		this.url = `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}`;
		return this;
	}

	async stop(): Promise<void> {
		this.#server?.closeAllConnections();
		await new Promise(resolve => this.#server?.close(resolve));
	}

	#handle(req: IncomingMessage, res: ServerResponse, raw: string): void {
		const url = new URL(req.url ?? '/', this.url);
		const method = req.method ?? 'GET';
		const record = (status: number) =>
			this.requests.push({method, path: url.pathname + url.search, status, ...(req.headers.authorization ? {auth: req.headers.authorization} : {})});
		this.onRequest?.(`${method} ${url.pathname}`);
		if (this.down) this.failures.unshift({status: 503, message: 'Service Unavailable'});
		const failure = this.failures.findIndex(f => !f.match || f.match.test(`${method} ${url.pathname}`));
		if (failure >= 0) {
			const f = this.failures.splice(failure, 1)[0]!;
			const body = {message: f.message, documentation_url: 'https://docs.github.com/rest'};
			assertGitHubError(body);
			record(f.status);
			res.writeHead(f.status, {'content-type': 'application/json', ...f.headers});
			res.end(JSON.stringify(body));
			return;
		}
		const route = this.#route(method, url, raw ? (JSON.parse(raw) as Record<string, unknown>) : {});
		assertGitHubShape(method, route.template, route.status, route.body);
		const text = route.body === undefined ? '' : JSON.stringify(route.body);
		const etag = `"${createHash('sha1').update(text).digest('hex')}"`;
		const headers: Record<string, string> = {
			'content-type': 'application/json; charset=utf-8',
			'x-ratelimit-remaining': '4999',
			'x-ratelimit-reset': String(Math.floor(Date.now() / 1000) + 3600),
		};
		if (route.link) headers['link'] = route.link;
		if (method === 'GET' && route.status === 200) {
			headers['etag'] = etag;
			if (req.headers['if-none-match'] === etag) {
				record(304);
				res.writeHead(304, headers);
				res.end();
				return;
			}
		}
		record(route.status);
		res.writeHead(route.status, headers);
		res.end(text);
	}

	#route(method: string, url: URL, body: Record<string, unknown>): {template: string; status: number; body?: unknown; link?: string} {
		const base = `/repos/${OWNER}/${REPO}`;
		const p = url.pathname;
		// A deleted issue answers 410 Gone where GitHub's description lists it; one that never was, 404.
		const notFound = (template: string, n?: string) =>
			n !== undefined && this.issues.get(Number(n))?.deleted
				? {template, status: 410, body: {message: 'This issue was deleted', documentation_url: 'https://docs.github.com/rest'}}
				: {template, status: 404, body: {message: 'Not Found', documentation_url: 'https://docs.github.com/rest'}};
		const issueOf = (n: string) => {
			const issue = this.issues.get(Number(n));
			return issue && !issue.deleted ? issue : undefined;
		};
		let m: RegExpMatchArray | null;
		if (p === `${base}/issues` && method === 'GET') {
			const labels = (url.searchParams.get('labels') ?? '').split(',').filter(Boolean);
			const state = url.searchParams.get('state') ?? 'open';
			const milestone = url.searchParams.get('milestone');
			const all = [...this.issues.values()].filter(
				i =>
					!i.deleted &&
					(state === 'all' || i.state === state) &&
					labels.every(l => i.labels.includes(l)) &&
					(milestone === null || String(i.milestone) === milestone),
			);
			return {
				template: '/repos/{owner}/{repo}/issues',
				status: 200,
				...this.#page(
					url,
					all.map(i => this.#json(i)),
				),
			};
		}
		if (p === `${base}/issues` && method === 'POST') {
			const issue = this.add({
				title: String(body['title']),
				body: String(body['body'] ?? ''),
				labels: (body['labels'] as string[] | undefined) ?? [],
				number: Math.max(0, ...this.issues.keys()) + 1,
			});
			return {template: '/repos/{owner}/{repo}/issues', status: 201, body: this.#json(issue)};
		}
		if ((m = p.match(new RegExp(`^${base}/issues/(\\d+)$`)))) {
			const issue = issueOf(m[1]!);
			if (!issue) return notFound('/repos/{owner}/{repo}/issues/{issue_number}', m[1]);
			if (method === 'PATCH') {
				this.edit(issue.number, {
					...(body['state'] ? {state: body['state'] as 'open'} : {}),
					...(body['state_reason'] ? {state_reason: body['state_reason'] as 'completed'} : {}),
				});
				return {template: '/repos/{owner}/{repo}/issues/{issue_number}', status: 200, body: this.#json(issue)};
			}
			return {template: '/repos/{owner}/{repo}/issues/{issue_number}', status: 200, body: this.#json(issue)};
		}
		if ((m = p.match(new RegExp(`^${base}/issues/(\\d+)/comments$`)))) {
			const issue = issueOf(m[1]!);
			if (!issue) return notFound('/repos/{owner}/{repo}/issues/{issue_number}/comments', m[1]);
			if (method === 'POST') {
				const comment = {id: this.#nextComment++, body: String(body['body']), created_at: stamp(this.#clock++)};
				issue.comments.push(comment);
				return {template: '/repos/{owner}/{repo}/issues/{issue_number}/comments', status: 201, body: this.#comment(issue, comment)};
			}
			return {
				template: '/repos/{owner}/{repo}/issues/{issue_number}/comments',
				status: 200,
				...this.#page(
					url,
					issue.comments.map(c => this.#comment(issue, c)),
				),
			};
		}
		if ((m = p.match(new RegExp(`^${base}/issues/(\\d+)/labels$`))) && method === 'POST') {
			const issue = issueOf(m[1]!);
			if (!issue) return notFound('/repos/{owner}/{repo}/issues/{issue_number}/labels', m[1]);
			for (const l of body['labels'] as string[]) if (!issue.labels.includes(l)) issue.labels.push(l);
			return {template: '/repos/{owner}/{repo}/issues/{issue_number}/labels', status: 200, body: issue.labels.map(l => this.#label(l))};
		}
		if ((m = p.match(new RegExp(`^${base}/issues/(\\d+)/dependencies/blocked_by$`)))) {
			const issue = issueOf(m[1]!);
			if (!issue) return notFound('/repos/{owner}/{repo}/issues/{issue_number}/dependencies/blocked_by', m[1]);
			if (method === 'POST') {
				const blocker = [...this.issues.values()].find(i => i.id === body['issue_id'])!;
				if (!issue.blockedBy.includes(blocker.number)) issue.blockedBy.push(blocker.number);
				return {template: '/repos/{owner}/{repo}/issues/{issue_number}/dependencies/blocked_by', status: 201, body: this.#json(issue)};
			}
			// Every blocker, open or closed: the client decides which still block.
			const blockers = issue.blockedBy.map(n => this.issues.get(n)!).filter(b => !b.deleted);
			return {
				template: '/repos/{owner}/{repo}/issues/{issue_number}/dependencies/blocked_by',
				status: 200,
				...this.#page(
					url,
					blockers.map(b => this.#json(b)),
				),
			};
		}
		if (p === `${base}/milestones` && method === 'GET') {
			return {
				template: '/repos/{owner}/{repo}/milestones',
				status: 200,
				...this.#page(
					url,
					this.milestones.map(m => this.#milestone(m.number)),
				),
			};
		}
		if (p === '/search/issues' && method === 'GET') {
			// The search words a test uses: repo:, is:issue, is:open, label:x; any other word is looked for in the title.
			const words = (url.searchParams.get('q') ?? '').split(/\s+/).filter(Boolean);
			const found = [...this.issues.values()].filter(i => {
				if (i.deleted) return false;
				return words.every(w =>
					w === `repo:${OWNER}/${REPO}` || w === 'is:issue'
						? true
						: w === 'is:open'
							? i.state === 'open'
							: w.startsWith('label:')
								? i.labels.includes(w.slice('label:'.length).replace(/^"|"$/g, ''))
								: i.title.toLowerCase().includes(w.toLowerCase()),
				);
			});
			const page = this.#page(
				url,
				found.map(i => ({...this.#json(i), score: 1})),
			);
			return {
				template: '/search/issues',
				status: 200,
				body: {total_count: found.length, incomplete_results: false, items: page.body, search_type: 'lexical'},
				...(page.link ? {link: page.link} : {}),
			};
		}
		throw new Error(`the scripted GitHub has no route for ${method} ${p}`);
	}

	#page(url: URL, items: unknown[]): {body: unknown[]; link?: string} {
		const per = Number(url.searchParams.get('per_page') ?? 30);
		const page = Number(url.searchParams.get('page') ?? 1);
		const body = items.slice((page - 1) * per, page * per);
		if (page * per >= items.length) return {body};
		const next = new URL(url.toString());
		next.searchParams.set('page', String(page + 1));
		return {body, link: `<${next.toString()}>; rel="next"`};
	}

	#user() {
		const u = 'https://api.github.com/users/octocat';
		return {
			login: 'octocat',
			id: 1,
			node_id: 'MDQ6VXNlcjE=',
			avatar_url: 'https://github.com/images/error/octocat_happy.gif',
			gravatar_id: '',
			url: u,
			html_url: 'https://github.com/octocat',
			followers_url: `${u}/followers`,
			following_url: `${u}/following{/other_user}`,
			gists_url: `${u}/gists{/gist_id}`,
			starred_url: `${u}/starred{/owner}{/repo}`,
			subscriptions_url: `${u}/subscriptions`,
			organizations_url: `${u}/orgs`,
			repos_url: `${u}/repos`,
			events_url: `${u}/events{/privacy}`,
			received_events_url: `${u}/received_events`,
			type: 'User',
			site_admin: false,
		};
	}

	#label(name: string) {
		return {
			id: 1,
			node_id: 'MDU6TGFiZWwx',
			url: `https://api.github.com/repos/${OWNER}/${REPO}/labels/${encodeURIComponent(name)}`,
			name,
			description: null,
			color: 'ededed',
			default: false,
		};
	}

	#json(i: ScriptedIssue) {
		const api = `https://api.github.com/repos/${OWNER}/${REPO}`;
		const open = (n: number) => n !== i.number && this.issues.get(n)?.state === 'open';
		return {
			id: i.id,
			node_id: `I_${i.id}`,
			url: `${api}/issues/${i.number}`,
			repository_url: api,
			labels_url: `${api}/issues/${i.number}/labels{/name}`,
			comments_url: `${api}/issues/${i.number}/comments`,
			events_url: `${api}/issues/${i.number}/events`,
			html_url: `https://github.com/${OWNER}/${REPO}/issues/${i.number}`,
			number: i.number,
			state: i.state,
			state_reason: i.state_reason,
			title: i.title,
			body: i.body,
			user: this.#user(),
			labels: i.labels.map(l => this.#label(l)),
			assignee: null,
			assignees: [],
			milestone: i.milestone === undefined ? null : this.#milestone(i.milestone),
			locked: false,
			comments: i.comments.length,
			closed_at: i.state === 'closed' ? i.updated_at : null,
			created_at: i.created_at,
			updated_at: i.updated_at,
			author_association: 'OWNER',
			issue_dependencies_summary: {blocked_by: i.blockedBy.filter(open).length, blocking: 0, total_blocked_by: i.blockedBy.length, total_blocking: 0},
		};
	}

	#milestone(number: number) {
		const m = this.milestones.find(x => x.number === number)!;
		const api = `https://api.github.com/repos/${OWNER}/${REPO}`;
		const of = [...this.issues.values()].filter(i => i.milestone === number && !i.deleted);
		return {
			url: `${api}/milestones/${number}`,
			html_url: `https://github.com/${OWNER}/${REPO}/milestone/${number}`,
			labels_url: `${api}/milestones/${number}/labels`,
			id: 5000 + number,
			node_id: `MI_${number}`,
			number,
			state: 'open',
			title: m.title,
			description: null,
			creator: this.#user(),
			open_issues: of.filter(i => i.state === 'open').length,
			closed_issues: of.filter(i => i.state === 'closed').length,
			created_at: stamp(0),
			updated_at: stamp(0),
			closed_at: null,
			due_on: null,
		};
	}

	#comment(i: ScriptedIssue, c: {id: number; body: string; created_at: string}) {
		const api = `https://api.github.com/repos/${OWNER}/${REPO}`;
		return {
			id: c.id,
			node_id: `IC_${c.id}`,
			url: `${api}/issues/comments/${c.id}`,
			html_url: `https://github.com/${OWNER}/${REPO}/issues/${i.number}#issuecomment-${c.id}`,
			body: c.body,
			user: this.#user(),
			created_at: c.created_at,
			updated_at: c.created_at,
			issue_url: `${api}/issues/${i.number}`,
			author_association: 'OWNER',
		};
	}
}
