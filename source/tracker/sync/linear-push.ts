import {bodyForFiled, commentFor, marker} from './github-texts.js';
import type {LinearRequest} from './linear-client.js';
import {RemoteIssueGoneError, type PushAction} from './source.js';

// results -> Linear: for done, failed, blocked and gated one comment (its marker makes
// it once-only even when a push is cut short before its record), and a done
// ticket's issue moved to a completed workflow state, a gated one labelled; a
// filed ticket becomes an issue. Markdown is Linear's too.

const ISSUE_QUERY = `query proofloopIssue($id: String!) {
  issue(id: $id) {
    id
    state { type }
    comments(first: 100) { nodes { body } }
    labels(first: 100) { nodes { id name } }
    team { id states(first: 100) { nodes { id name type position } } }
  }
}`;
type IssueAnswer = {
	issue: {
		id: string;
		state?: {type: string} | null;
		comments: {nodes: Array<{body: string}>};
		labels: {nodes: Array<{id: string; name: string}>};
		team: {id: string; states: {nodes: Array<{id: string; name: string; type: string; position: number}>}};
	} | null;
};
const COMMENT = `mutation proofloopComment($input: CommentCreateInput!) { commentCreate(input: $input) { success } }`;
const LABELS = `query proofloopLabels($filter: IssueLabelFilter, $first: Int) { issueLabels(filter: $filter, first: $first) { nodes { id } } }`;
const MAKE_LABEL = `mutation proofloopMakeLabel($input: IssueLabelCreateInput!) { issueLabelCreate(input: $input) { issueLabel { id } } }`;
const ADD_LABEL = `mutation proofloopAddLabel($id: String!, $labelId: String!) { issueAddLabel(id: $id, labelId: $labelId) { success } }`;
const TEAMS = `query proofloopTeams($filter: TeamFilter, $first: Int) { teams(filter: $filter, first: $first) { nodes { id } } }`;
const PROJECTS = `query proofloopProjects($filter: ProjectFilter, $first: Int) { projects(filter: $filter, first: $first) { nodes { id } } }`;
const CYCLES = `query proofloopCycles($filter: CycleFilter, $first: Int) { cycles(filter: $filter, first: $first) { nodes { id } } }`;
const CREATE = `mutation proofloopCreate($input: IssueCreateInput!) { issueCreate(input: $input) { issue { id identifier } } }`;
const RELATE = `mutation proofloopRelate($input: IssueRelationCreateInput!) { issueRelationCreate(input: $input) { success } }`;
const MOVE = `mutation proofloopMove($id: String!, $input: IssueUpdateInput!) { issueUpdate(id: $id, input: $input) { success } }`;

export type LinearPushConfig = {
	team: string;
	doneState?: string | undefined;
	gatedLabel: string;
	labels?: string[] | undefined;
	project?: string | undefined;
	cycle?: number | undefined;
};

export async function deliverToLinear(request: LinearRequest, action: Exclude<PushAction, {kind: 'file'}>, config: LinearPushConfig): Promise<void> {
	const identifier = action.source.replace(/^linear:/, '');
	const what = `pushing ${action.kind} of ${action.ticket}`;
	let issue: IssueAnswer['issue'];
	try {
		issue = (await request<IssueAnswer>(what, ISSUE_QUERY, {id: identifier})).issue;
	} catch (error) {
		if (/entity not found/i.test((error as Error).message)) issue = null;
		else throw error;
	}
	if (!issue) throw new RemoteIssueGoneError(`${action.source} is not found on Linear (deleted or archived)`);
	if (action.kind === 'gated' && !issue.labels.nodes.some(l => l.name === config.gatedLabel)) {
		await request(what, ADD_LABEL, {id: issue.id, labelId: await labelId(request, what, config.gatedLabel, issue.team.id)});
	}
	const tag = marker(action);
	if (!issue.comments.nodes.some(c => c.body.includes(tag))) await request(what, COMMENT, {input: {issueId: issue.id, body: commentFor(action)}});
	if (action.kind !== 'done' || issue.state?.type === 'completed') return;
	const states = issue.team.states.nodes;
	const target = config.doneState
		? states.find(s => s.name === config.doneState)
		: states.filter(s => s.type === 'completed').sort((a, b) => a.position - b.position)[0];
	if (!target)
		throw new Error(
			`the team of ${identifier} has no ${config.doneState ? `workflow state named '${config.doneState}'` : 'completed workflow state'}\n  fix: set sync.doneState to one of: ${states.map(s => s.name).join(', ')}`,
		);
	await request(what, MOVE, {id: issue.id, input: {stateId: target.id}});
}

/** A label's id by its name, made in the team when the workspace has none. */
async function labelId(request: LinearRequest, what: string, name: string, teamId: string): Promise<string> {
	const found = (await request<{issueLabels: {nodes: Array<{id: string}>}}>(what, LABELS, {filter: {name: {eq: name}}, first: 1})).issueLabels.nodes[0];
	if (found) return found.id;
	return (await request<{issueLabelCreate: {issueLabel: {id: string}}}>(what, MAKE_LABEL, {input: {name, teamId}})).issueLabelCreate.issueLabel.id;
}

/** Where the selection looks (its labels, project, cycle), so the next pull finds a filed issue too. */
async function selectionOf(request: LinearRequest, what: string, config: LinearPushConfig, teamId: string): Promise<Record<string, unknown>> {
	const out: Record<string, unknown> = {};
	if (config.labels?.length) out['labelIds'] = await Promise.all(config.labels.map(name => labelId(request, what, name, teamId)));
	if (config.project !== undefined) {
		const project = (await request<{projects: {nodes: Array<{id: string}>}}>(what, PROJECTS, {filter: {name: {eq: config.project}}, first: 1})).projects
			.nodes[0];
		if (project) out['projectId'] = project.id;
	}
	if (config.cycle !== undefined) {
		const filter = {team: {key: {eq: config.team}}, number: {eq: config.cycle}};
		const cycle = (await request<{cycles: {nodes: Array<{id: string}>}}>(what, CYCLES, {filter, first: 1})).cycles.nodes[0];
		if (cycle) out['cycleId'] = cycle.id;
	}
	return out;
}

/** A ticket a worker filed becomes an issue of the team, with "blocks" relations both ways; returns its key. */
export async function fileOnLinear(
	request: LinearRequest,
	action: Extract<PushAction, {kind: 'file'}>,
	config: LinearPushConfig,
	resolve: (ticket: string) => string | undefined,
	onCreated?: (key: string) => Promise<void>,
): Promise<string> {
	const what = `filing ${action.ticket}`;
	const team = (await request<{teams: {nodes: Array<{id: string}>}}>(what, TEAMS, {filter: {key: {eq: config.team}}, first: 1})).teams.nodes[0];
	if (!team) throw new Error(`Linear has no team with key ${config.team}\n  fix: correct sync.team in .proofloop/config.json`);
	const made = (
		await request<{issueCreate: {issue: {id: string; identifier: string}}}>(what, CREATE, {
			input: {teamId: team.id, title: action.title, description: bodyForFiled(action), ...(await selectionOf(request, what, config, team.id))},
		})
	).issueCreate.issue;
	const key = `linear:${made.identifier}`;
	// Saved before its links: a push cut short here never files the same issue twice.
	await onCreated?.(key);
	const linked = (tickets: string[]) =>
		tickets
			.flatMap(t => resolve(t) ?? [])
			.filter(k => k.startsWith('linear:'))
			.map(k => k.slice('linear:'.length));
	for (const blocker of linked(action.blockedBy)) await request(what, RELATE, {input: {issueId: blocker, relatedIssueId: made.id, type: 'blocks'}});
	for (const blocked of linked(action.blocks)) await request(what, RELATE, {input: {issueId: made.id, relatedIssueId: blocked, type: 'blocks'}});
	return key;
}
