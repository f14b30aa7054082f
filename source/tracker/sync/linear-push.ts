import {commentFor, marker} from './github-texts.js';
import type {LinearRequest} from './linear-client.js';
import {RemoteIssueGoneError, type PushAction} from './source.js';

// results -> Linear, for done, failed and blocked: one comment (its marker makes
// it once-only even when a push is cut short before its record), and a done
// ticket's issue moved to a completed workflow state. Markdown is Linear's too.

const ISSUE_QUERY = `query proofloopIssue($id: String!) {
  issue(id: $id) {
    id
    state { type }
    comments(first: 100) { nodes { body } }
    team { states(first: 100) { nodes { id name type position } } }
  }
}`;
type IssueAnswer = {
	issue: {
		id: string;
		state?: {type: string} | null;
		comments: {nodes: Array<{body: string}>};
		team: {states: {nodes: Array<{id: string; name: string; type: string; position: number}>}};
	} | null;
};
const COMMENT = `mutation proofloopComment($input: CommentCreateInput!) { commentCreate(input: $input) { success } }`;
const MOVE = `mutation proofloopMove($id: String!, $input: IssueUpdateInput!) { issueUpdate(id: $id, input: $input) { success } }`;

export async function deliverToLinear(request: LinearRequest, action: Extract<PushAction, {kind: 'done' | 'failed' | 'blocked'}>, doneState?: string): Promise<void> {
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
	const tag = marker(action);
	if (!issue.comments.nodes.some(c => c.body.includes(tag))) await request(what, COMMENT, {input: {issueId: issue.id, body: commentFor(action)}});
	if (action.kind !== 'done' || issue.state?.type === 'completed') return;
	const states = issue.team.states.nodes;
	const target = doneState ? states.find(s => s.name === doneState) : states.filter(s => s.type === 'completed').sort((a, b) => a.position - b.position)[0];
	if (!target) throw new Error(`the team of ${identifier} has no ${doneState ? `workflow state named '${doneState}'` : 'completed workflow state'}\n  fix: set sync.doneState to one of: ${states.map(s => s.name).join(', ')}`);
	await request(what, MOVE, {id: issue.id, input: {stateId: target.id}});
}
