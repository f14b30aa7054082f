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
		this.#request = linearRequester({apiKey: opts.apiKey, apiUrl: config.apiUrl, minInterval: config.minRequestInterval, ...(opts.pace === undefined ? {} : {pace: opts.pace})});
	}

	async fetch(): Promise<RemoteSnapshot> {
		const nodes: Node[] = [];
		let after: string | undefined;
		for (;;) {
			const answer = await this.#request<IssuesAnswer>('pulling issues', ISSUES_QUERY, {filter: linearFilter(this.config), first: PAGE, ...(after ? {after} : {})});
			nodes.push(...answer.issues.nodes);
			if (!answer.issues.pageInfo.hasNextPage || !answer.issues.pageInfo.endCursor) break;
			after = answer.issues.pageInfo.endCursor;
		}
		const skipped = new Set<string>(this.config.skipStates);
		const open = (ref: Ref) => !skipped.has(ref.state?.type ?? '');
		const selected = nodes.filter(open);
		// "A blocks B" is one relation, seen from A (relations) and from B (inverse relations): both sides count.
		const blockedBy = new Map<string, Set<string>>(selected.map(n => [n.identifier, new Set<string>()]));
		for (const node of selected) {
			for (const r of node.inverseRelations?.nodes ?? []) if (r.type === 'blocks' && r.issue && open(r.issue)) blockedBy.get(node.identifier)!.add(r.issue.identifier);
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
		return {issues, warnings: []};
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
