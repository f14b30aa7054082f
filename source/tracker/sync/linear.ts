import type {LinearSyncConfig} from './config.js';
import {linearRequester, type LinearRequest} from './linear-client.js';
import {deliverToLinear, fileOnLinear} from './linear-push.js';
import type {PushAction, RemoteIssue, RemoteSnapshot, RemoteState, SyncSource} from './source.js';

// Linear as a sync source: pull, push, check. One paged GraphQL query brings the
// selected issues with their workflow state, labels and "blocks" relations both
// ways, so a pull costs one request per hundred issues, never one per issue.

const PAGE = 100;

const ISSUES_QUERY = `query proofloopIssues($filter: IssueFilter, $first: Int, $after: String) {
  issues(filter: $filter, first: $first, after: $after) {
    nodes {
      identifier
      title
      description
      url
      state { type }
      labels(first: 50) { nodes { name } }
      relations(first: 50) { nodes { type relatedIssue { identifier state { type } } } }
      inverseRelations(first: 50) { nodes { type issue { identifier state { type } } } }
    }
    pageInfo { hasNextPage endCursor }
  }
}`;

const STATES_QUERY = `query proofloopStates($filter: IssueFilter, $first: Int) {
  issues(filter: $filter, first: $first) { nodes { identifier state { type } } }
}`;
type StatesAnswer = {issues: {nodes: Array<{identifier: string; state?: {type: string} | null}>}};

type Ref = {identifier: string; state?: {type: string} | null};
type Node = {
	identifier: string;
	title: string;
	description?: string | null;
	url?: string | null;
	state?: {type: string} | null;
	labels?: {nodes: Array<{name: string}>};
	relations?: {nodes: Array<{type: string; relatedIssue?: Ref | null}>};
	inverseRelations?: {nodes: Array<{type: string; issue?: Ref | null}>};
};
type IssuesAnswer = {issues: {nodes: Node[]; pageInfo: {hasNextPage: boolean; endCursor?: string | null}}};

/** The IssueFilter of the config's selection: its team, and its project, labels and cycle when given. */
export function linearFilter(config: LinearSyncConfig): Record<string, unknown> {
	const and: Array<Record<string, unknown>> = [{team: {key: {eq: config.team}}}];
	if (config.skipStates.length > 0) and.push({state: {type: {nin: config.skipStates}}});
	if (config.project !== undefined) and.push({project: {name: {eq: config.project}}});
	if (config.cycle !== undefined) and.push({cycle: {number: {eq: config.cycle}}});
	for (const label of config.labels ?? []) and.push({labels: {some: {name: {eq: label}}}});
	return {and};
}

export class LinearSource implements SyncSource {
	readonly name = 'linear';
	readonly where: string;
	readonly #request: LinearRequest;

	constructor(
		readonly config: LinearSyncConfig,
		opts: {apiKey: string; pace?: number},
	) {
		this.where = `Linear team ${config.team}`;
		this.#request = linearRequester({
			apiKey: opts.apiKey,
			apiUrl: config.apiUrl,
			minInterval: config.minRequestInterval,
			...(opts.pace === undefined ? {} : {pace: opts.pace}),
		});
	}

	async fetch(): Promise<RemoteSnapshot> {
		const skipped = new Set<string>(this.config.skipStates);
		const open = (ref: Ref) => !skipped.has(ref.state?.type ?? '');
		const selected = (await this.#pages(linearFilter(this.config))).filter(open);
		const warnings: string[] = [];
		// Open blockers outside the selection come along (they must be done first), and theirs, until none is missing.
		for (;;) {
			const have = new Set(selected.map(n => n.identifier));
			const missing = new Map<string, string>();
			for (const node of selected)
				for (const r of node.inverseRelations?.nodes ?? [])
					if (r.type === 'blocks' && r.issue && open(r.issue) && !have.has(r.issue.identifier)) missing.set(r.issue.identifier, node.identifier);
			const extra = (await this.#byIdentifier([...missing.keys()])).filter(n => open(n) && !have.has(n.identifier));
			if (extra.length === 0) break;
			for (const n of extra) warnings.push(`pulled ${n.identifier} too: ${missing.get(n.identifier)} is blocked by it and the selection leaves it out`);
			selected.push(...extra);
		}
		// "A blocks B" is one relation, seen from A (relations) and from B (inverse relations): both sides count.
		const blockedBy = new Map<string, Set<string>>(selected.map(n => [n.identifier, new Set<string>()]));
		for (const node of selected) {
			for (const r of node.inverseRelations?.nodes ?? [])
				if (r.type === 'blocks' && r.issue && open(r.issue)) blockedBy.get(node.identifier)!.add(r.issue.identifier);
			for (const r of node.relations?.nodes ?? []) if (r.type === 'blocks' && r.relatedIssue) blockedBy.get(r.relatedIssue.identifier)?.add(node.identifier);
		}
		const issues: RemoteIssue[] = selected.map(node => ({
			key: `linear:${node.identifier}`,
			label: node.identifier,
			title: node.title,
			body: node.description ?? '',
			blockedBy: [...blockedBy.get(node.identifier)!].map(id => `linear:${id}`),
			labels: (node.labels?.nodes ?? []).map(l => l.name),
			...(node.url ? {url: node.url} : {}),
		}));
		return {issues, warnings};
	}

	async #pages(filter: Record<string, unknown>): Promise<Node[]> {
		const nodes: Node[] = [];
		let after: string | undefined;
		for (;;) {
			const answer = await this.#request<IssuesAnswer>('pulling issues', ISSUES_QUERY, {filter, first: PAGE, ...(after ? {after} : {})});
			nodes.push(...answer.issues.nodes);
			if (!answer.issues.pageInfo.hasNextPage || !answer.issues.pageInfo.endCursor) return nodes;
			after = answer.issues.pageInfo.endCursor;
		}
	}

	// These issues (ENG-42, OPS-7), one query per team and hundred.
	async #byIdentifier(identifiers: string[]): Promise<Node[]> {
		const byTeam = new Map<string, number[]>();
		for (const id of identifiers) {
			const [team, n] = id.split('-');
			if (team && n && /^\d+$/.test(n)) byTeam.set(team, [...(byTeam.get(team) ?? []), Number(n)]);
		}
		const out: Node[] = [];
		for (const [team, numbers] of byTeam) out.push(...(await this.#pages({and: [{team: {key: {eq: team}}}, {number: {in: numbers}}]})));
		return out;
	}

	async deliver(action: PushAction, resolve: (ticket: string) => string | undefined, onCreated?: (key: string) => Promise<void>): Promise<{created?: string}> {
		if (action.kind === 'file') return {created: await fileOnLinear(this.#request, action, this.config, resolve, onCreated)};
		await deliverToLinear(this.#request, action, this.config);
		return {};
	}

	/** Each mapped issue's state: closed when its workflow state is completed or canceled, gone when Linear no longer returns it. */
	async states(keys: string[]): Promise<RemoteState[]> {
		const found = new Map<string, string>();
		const byTeam = new Map<string, number[]>();
		for (const key of keys) {
			const [team, n] = key.replace(/^linear:/, '').split('-');
			if (team && n && /^\d+$/.test(n)) byTeam.set(team, [...(byTeam.get(team) ?? []), Number(n)]);
		}
		for (const [team, numbers] of byTeam) {
			for (let i = 0; i < numbers.length; i += PAGE) {
				const filter = {and: [{team: {key: {eq: team}}}, {number: {in: numbers.slice(i, i + PAGE)}}]};
				const answer = await this.#request<StatesAnswer>('reading issues', STATES_QUERY, {filter, first: PAGE});
				for (const node of answer.issues.nodes) found.set(`linear:${node.identifier}`, node.state?.type ?? '');
			}
		}
		return keys.map(key => {
			const type = found.get(key);
			if (type === undefined) return {key, state: 'gone', reason: 'deleted or archived'};
			return type === 'completed' || type === 'canceled' ? {key, state: 'closed', reason: type} : {key, state: 'open'};
		});
	}
}
