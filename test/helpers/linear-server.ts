import {createServer, type IncomingMessage, type Server, type ServerResponse} from 'node:http';
import type {AddressInfo} from 'node:net';

// A scripted Linear GraphQL server for one workspace, driven by the real
// @linear/sdk client (its apiUrl option). It answers the `issues` root field:
// the IssueFilter subset a sync uses, Relay paging, "blocks" relations both
// ways, and Linear's rate-limit answers. What it cannot answer as Linear would
// is a defect; a test asserts none.

export type StateType = 'triage' | 'backlog' | 'unstarted' | 'started' | 'completed' | 'canceled';
export type ScriptedLinearIssue = {
	identifier: string;
	title: string;
	description: string | null;
	state: StateType;
	labels: string[];
	project?: string;
	cycle?: number;
	comments: Array<{body: string}>;
	/** Deleted on the remote: no query finds it. */
	deleted?: boolean;
	/** Identifiers of the issues this one blocks (Linear's "blocks" relation; the other side reads it as "blocked by"). */
	blocks: string[];
};

/** What the next request gets: Linear's rate-limit answer (400 with extensions.code RATELIMITED, or a 429), or a proxy's 5xx page. */
export type ScriptedLimit = {status: 400 | 429; headers: Record<string, string>} | {status: 502 | 503; headers?: Record<string, string>};

type Json = Record<string, unknown>;

export class ScriptedLinear {
	readonly issues = new Map<string, ScriptedLinearIssue>();
	/** Each request as it arrived (`at`, ms), with the status it got. */
	readonly requests: Array<{at: number; status: number; auth?: string; query: string; variables: Json}> = [];
	readonly limits: ScriptedLimit[] = [];
	readonly defects: string[] = [];
	/** Mutations answered with success: "commentCreate ENG-1", "issueUpdate ENG-1 st-done" (the state it moved to). */
	readonly writes: string[] = [];

	/** Workspace labels made by a push (an issue's labels exist too). */
	readonly labels = new Set<string>();
	/** The team's workflow states (Linear's defaults). */
	readonly states = [
		{id: 'st-backlog', name: 'Backlog', type: 'backlog', position: 0},
		{id: 'st-todo', name: 'Todo', type: 'unstarted', position: 1},
		{id: 'st-progress', name: 'In Progress', type: 'started', position: 2},
		{id: 'st-done', name: 'Done', type: 'completed', position: 3},
		{id: 'st-shipped', name: 'Shipped', type: 'completed', position: 4},
		{id: 'st-canceled', name: 'Canceled', type: 'canceled', position: 5},
	];
	url = '';
	#server?: Server;

	/** `team` is the team's key: its issues are <team>-1, <team>-2, ... */
	constructor(readonly team = 'ENG') {}

	add(fields: Partial<ScriptedLinearIssue> & {title: string}): ScriptedLinearIssue {
		const identifier = fields.identifier ?? `${this.team}-${this.issues.size + 1}`;
		const issue: ScriptedLinearIssue = {identifier, description: null, state: 'unstarted', labels: [], blocks: [], comments: [], ...fields};
		this.issues.set(identifier, issue);
		return issue;
	}

	async start(): Promise<this> {
		this.#server = createServer((req, res) => void this.#handle(req, res));
		await new Promise<void>(resolve => this.#server!.listen(0, '127.0.0.1', resolve));
		this.url = `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}/graphql`;
		return this;
	}

	async stop(): Promise<void> {
		await new Promise<void>(resolve => (this.#server ? this.#server.close(() => resolve()) : resolve()));
	}

	async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
		const at = Date.now();
		let text = '';
		for await (const chunk of req) text += String(chunk);
		const send = (status: number, body: unknown, headers: Record<string, string> = {}) => {
			res.writeHead(status, {'content-type': 'application/json; charset=utf-8', ...headers});
			res.end(JSON.stringify(body));
		};
		let query = '';
		let variables: Json = {};
		try {
			({query, variables = {}} = JSON.parse(text) as {query: string; variables?: Json});
		} catch {
			this.defects.push(`a request whose body is not JSON: ${text.slice(0, 80)}`);
		}
		const log = (status: number) => this.requests.push({at, status, query, variables, ...(req.headers.authorization ? {auth: req.headers.authorization} : {})});
		if (req.method !== 'POST' || new URL(req.url ?? '/', 'http://x').pathname !== '/graphql')
			this.defects.push(`${req.method} ${req.url}: Linear takes POST /graphql only`);
		const limit = this.limits.shift();
		if (limit && limit.status >= 500) {
			log(limit.status);
			res.writeHead(limit.status, {'content-type': 'text/html', ...limit.headers});
			return void res.end('<html><body>502 Bad Gateway</body></html>');
		}
		if (limit) {
			log(limit.status);
			// Linear's documented answer: the error's extensions carry code RATELIMITED (and the SDK reads type "ratelimited").
			const error = {message: 'Rate limit exceeded', extensions: {code: 'RATELIMITED', type: 'ratelimited', userPresentableMessage: 'Rate limit exceeded.'}};
			return send(limit.status, {errors: [error]}, limit.headers);
		}
		const uuid = (issue: ScriptedLinearIssue) => `uuid-${issue.identifier}`;
		const find = (id: unknown) => [...this.issues.values()].find(i => !i.deleted && (i.identifier === id || uuid(i) === id));
		const notFound = () =>
			send(200, {
				data: null,
				errors: [
					{message: 'Entity not found: Issue', extensions: {code: 'INVALID_INPUT', type: 'invalid input', userPresentableMessage: 'Entity not found: Issue'}},
				],
			});
		if (/^\s*mutation\b/.test(query)) {
			log(200);
			const answer = this.#mutate(query, variables, find);
			if (answer === undefined) return notFound();
			return send(200, {data: pick(answer, query)});
		}
		if (/^\s*query\b[\s\S]*\bissueLabels\s*\(/.test(query)) {
			log(200);
			const name = (((variables['filter'] as Json)?.['name'] as Json)?.['eq'] as string) ?? '';
			const known = this.labels.has(name) || [...this.issues.values()].some(i => i.labels.includes(name));
			return send(200, {data: pick({issueLabels: {nodes: known ? [{id: `label-${name}`}] : []}}, query)});
		}
		if (/^\s*query\b[\s\S]*\b(projects|cycles)\s*\(/.test(query)) {
			log(200);
			const filter = (variables['filter'] ?? {}) as Json;
			const projects = /\bprojects\s*\(/.test(query);
			const wanted = projects ? ((filter['name'] as Json)?.['eq'] as string) : ((filter['number'] as Json)?.['eq'] as number);
			const known = [...this.issues.values()].some(i => (projects ? i.project : i.cycle) === wanted);
			const nodes = known ? [{id: `${projects ? 'project' : 'cycle'}-${wanted}`}] : [];
			return send(200, {data: pick(projects ? {projects: {nodes}} : {cycles: {nodes}}, query)});
		}
		if (/^\s*query\b[\s\S]*\bteams\s*\(/.test(query)) {
			log(200);
			const key = (((variables['filter'] as Json)?.['key'] as Json)?.['eq'] as string) ?? '';
			return send(200, {data: pick({teams: {nodes: key === this.team ? [{id: 'team-eng'}] : []}}, query)});
		}
		if (/^\s*query\b[\s\S]*\bissue\s*\(/.test(query)) {
			log(200);
			const issue = find(variables['id']);
			if (!issue) return notFound();
			const answer = {
				id: uuid(issue),
				state: {type: issue.state},
				comments: {nodes: issue.comments},
				labels: {nodes: issue.labels.map(name => ({id: `label-${name}`, name}))},
				team: {id: 'team-eng', states: {nodes: this.states}},
			};
			return send(200, {data: pick({issue: answer}, query)});
		}
		if (!/^\s*query\b[\s\S]*\bissues\s*\(/.test(query)) {
			this.defects.push(`a query this server does not answer: ${query.slice(0, 120)}`);
			log(400);
			return send(400, {errors: [{message: 'Unknown query', extensions: {code: 'GRAPHQL_VALIDATION_FAILED', type: 'graphql error'}}]});
		}
		const data = pick({issues: this.#issues(variables)}, query);
		log(200);
		send(200, {data}, {'x-ratelimit-requests-limit': '2500', 'x-ratelimit-requests-remaining': '2400'});
	}

	// The mutations a push sends; undefined is Linear's "Entity not found".
	#mutate(query: string, variables: Json, find: (id: unknown) => ScriptedLinearIssue | undefined): Json | undefined {
		const input = (variables['input'] ?? {}) as Json;
		const name = /\b(commentCreate|issueUpdate|issueLabelCreate|issueAddLabel|issueCreate|issueRelationCreate)\s*\(/.exec(query)?.[1];
		switch (name) {
			case 'commentCreate': {
				const issue = find(input['issueId']);
				if (!issue) return undefined;
				issue.comments.push({body: String(input['body'])});
				this.writes.push(`commentCreate ${issue.identifier}`);
				return {commentCreate: {success: true}};
			}
			case 'issueUpdate': {
				const issue = find(variables['id']);
				const state = this.states.find(st => st.id === input['stateId']);
				if (!issue || !state) return undefined;
				issue.state = state.type as StateType;
				this.writes.push(`issueUpdate ${issue.identifier} ${state.id}`);
				return {issueUpdate: {success: true}};
			}
			case 'issueLabelCreate':
				this.labels.add(String(input['name']));
				this.writes.push(`issueLabelCreate ${String(input['name'])}`);
				return {issueLabelCreate: {issueLabel: {id: `label-${String(input['name'])}`}}};
			case 'issueAddLabel': {
				const issue = find(variables['id']);
				const label = String(variables['labelId']).replace(/^label-/, '');
				if (!issue || !this.labels.has(label)) return undefined;
				issue.labels.push(label);
				this.writes.push(`issueAddLabel ${issue.identifier} ${label}`);
				return {issueAddLabel: {success: true}};
			}
			case 'issueCreate': {
				if (input['teamId'] !== 'team-eng') return undefined;
				const labels = ((input['labelIds'] ?? []) as string[]).map(id => id.replace(/^label-/, ''));
				const project = typeof input['projectId'] === 'string' ? input['projectId'].replace(/^project-/, '') : undefined;
				const cycle = typeof input['cycleId'] === 'string' ? Number(input['cycleId'].replace(/^cycle-/, '')) : undefined;
				const issue = this.add({
					title: String(input['title']),
					description: String(input['description'] ?? ''),
					labels,
					...(project === undefined ? {} : {project}),
					...(cycle === undefined ? {} : {cycle}),
				});
				this.writes.push(`issueCreate ${issue.identifier}`);
				return {issueCreate: {issue: {id: `uuid-${issue.identifier}`, identifier: issue.identifier}}};
			}
			case 'issueRelationCreate': {
				const from = find(input['issueId']);
				const to = find(input['relatedIssueId']);
				if (!from || !to || input['type'] !== 'blocks') return undefined;
				from.blocks.push(to.identifier);
				this.writes.push(`issueRelationCreate ${from.identifier} blocks ${to.identifier}`);
				return {issueRelationCreate: {success: true}};
			}
			default:
				this.defects.push(`a mutation this server does not answer: ${query.slice(0, 120)}`);
				return undefined;
		}
	}

	#issues(variables: Json): Json {
		const filter = (variables['filter'] ?? {}) as Json;
		const first = Number(variables['first'] ?? 50);
		const after = variables['after'] === undefined ? 0 : Number(variables['after']);
		const all = [...this.issues.values()].filter(issue => !issue.deleted && this.#matches(issue, filter)).sort((a, b) => num(a) - num(b));
		const page = all.slice(after, after + first);
		const ref = (id: string) => ({identifier: id, state: {type: this.issues.get(id)?.state ?? 'unstarted'}});
		return {
			nodes: page.map(issue => ({
				identifier: issue.identifier,
				title: issue.title,
				description: issue.description,
				url: `https://linear.app/acme/issue/${issue.identifier.toLowerCase()}`,
				state: {type: issue.state},
				labels: {nodes: issue.labels.map(name => ({name}))},
				relations: {nodes: issue.blocks.filter(id => this.issues.has(id)).map(id => ({type: 'blocks', relatedIssue: ref(id)}))},
				inverseRelations: {
					nodes: [...this.issues.values()].filter(o => o.blocks.includes(issue.identifier)).map(o => ({type: 'blocks', issue: ref(o.identifier)})),
				},
			})),
			pageInfo: {hasNextPage: after + first < all.length, endCursor: page.length > 0 ? String(after + page.length) : null},
		};
	}

	// The IssueFilter subset a sync sends; anything else is a defect, not a silent match.
	#matches(issue: ScriptedLinearIssue, filter: Json): boolean {
		return Object.entries(filter).every(([key, value]) => {
			const v = value as Json;
			switch (key) {
				case 'and':
					return (value as Json[]).every(f => this.#matches(issue, f));
				case 'team':
					return compare(issue.identifier.split('-')[0]!, (v['key'] as Json) ?? {}, this.defects);
				case 'state':
					return compare(issue.state, (v['type'] as Json) ?? {}, this.defects);
				case 'project':
					return issue.project !== undefined && compare(issue.project, (v['name'] as Json) ?? {}, this.defects);
				case 'number':
					return compare(num(issue), v, this.defects);
				case 'cycle':
					return issue.cycle !== undefined && compare(issue.cycle, (v['number'] as Json) ?? {}, this.defects);
				case 'labels':
					return issue.labels.some(name => compare(name, ((v['some'] as Json)?.['name'] as Json) ?? {}, this.defects));
				default:
					this.defects.push(`an IssueFilter field this server does not know: ${key}`);
					return false;
			}
		});
	}
}

// A GraphQL server answers only what was asked: a field the query does not name is left out.
function pick(value: unknown, query: string): Json {
	const walk = (v: unknown): unknown => {
		if (Array.isArray(v)) return v.map(walk);
		if (v === null || typeof v !== 'object') return v;
		return Object.fromEntries(
			Object.entries(v)
				.filter(([key]) => new RegExp(`\\b${key}\\b`).test(query))
				.map(([key, inner]) => [key, walk(inner)]),
		);
	};
	return walk(value) as Json;
}

const num = (issue: ScriptedLinearIssue) => Number(issue.identifier.split('-')[1]);

function compare(actual: string | number, comparator: Json, defects: string[]): boolean {
	return Object.entries(comparator).every(([op, expected]) => {
		if (op === 'eq') return actual === expected;
		if (op === 'in') return (expected as unknown[]).includes(actual);
		if (op === 'nin') return !(expected as unknown[]).includes(actual);
		defects.push(`a comparator this server does not know: ${op}`);
		return false;
	});
}
