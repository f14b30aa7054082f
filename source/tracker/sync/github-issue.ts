// A GitHub issue as the sync reads it: the REST shape, what the cache keeps of it, and the few fields a pull maps.

export type Lite = {
	number: number;
	id: number;
	title: string;
	body: string;
	labels: string[];
	state: string;
	updated: string;
	blockedTotal?: number;
	url: string;
};
export type Cached = {etag: string; value: unknown; next?: boolean};
export type Cache = {etags: Record<string, Cached>; ids: Record<string, number>};

export type RawIssue = {
	number: number;
	id: number;
	title: string;
	body?: string | null;
	labels: Array<string | {name?: string}>;
	state: string;
	updated_at: string;
	html_url: string;
	pull_request?: unknown;
	repository_url: string;
	issue_dependencies_summary?: {total_blocked_by?: number};
};

// What the cache keeps of an issue (the state file holds every cached answer): the fields a sync reads, no more.
export const slim = (issue: RawIssue): RawIssue => ({
	number: issue.number,
	id: issue.id,
	title: issue.title,
	body: issue.body ?? '',
	labels: issue.labels.map(l => (typeof l === 'string' ? l : (l.name ?? ''))),
	state: issue.state,
	updated_at: issue.updated_at,
	html_url: issue.html_url,
	repository_url: issue.repository_url,
	...(issue.pull_request === undefined ? {} : {pull_request: true}),
	...(issue.issue_dependencies_summary?.total_blocked_by === undefined
		? {}
		: {issue_dependencies_summary: {total_blocked_by: issue.issue_dependencies_summary.total_blocked_by}}),
});

export const lite = (issue: RawIssue): Lite => ({
	number: issue.number,
	id: issue.id,
	title: issue.title,
	body: issue.body ?? '',
	labels: issue.labels.map(l => (typeof l === 'string' ? l : (l.name ?? ''))).filter(Boolean),
	state: issue.state,
	updated: issue.updated_at,
	url: issue.html_url,
	...(issue.issue_dependencies_summary?.total_blocked_by === undefined ? {} : {blockedTotal: issue.issue_dependencies_summary.total_blocked_by}),
});
