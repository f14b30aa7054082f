// The tracker-sync interface. The file tracker stays the live store: the engine
// and the oracle read only the ticket files. A sync source is a remote tracker
// (GitHub Issues now, Linear next) that a pull copies into those files and a
// push tells the results. Everything here is tracker-neutral; a source maps its
// own API onto these shapes and nothing else.

/** One open issue of the remote, as a pull sees it. `key` is what a ticket's `source:` holds: github#12, linear:ENG-42. */
export type RemoteIssue = {
	key: string;
	/** How a person names it in a message: #12, ENG-42. */
	label: string;
	title: string;
	body: string;
	/** Keys of the issues this one is blocked by (still open, or known locally). */
	blockedBy: string[];
	/** Label names (GitHub labels, Linear labels). */
	labels: string[];
	/** A link for a person, written nowhere the oracle reads. */
	url?: string;
};

/** What a pull got: the selected open issues, and the keys it knows are closed or gone (for `sync check`). */
export type RemoteSnapshot = {issues: RemoteIssue[]; warnings: string[]};

/** What a push tells the remote about one ticket. Each has a key: delivered once, never again. */
export type PushAction =
	| {kind: 'done'; ticket: string; source: string; mergeCommit: string; verifyDigest: string; runId?: string; doneAt?: string}
	| {kind: 'gated'; ticket: string; source: string; by: string; reason: string; at: string}
	| {kind: 'failed' | 'blocked'; ticket: string; source: string; reasons: string; attempts?: number}
	| {kind: 'file'; ticket: string; title: string; body: string; blockedBy: string[]; blocks: string[]; runId?: string};

/** The remote state of one mapped issue, for `sync check`. */
export type RemoteState = {key: string; state: 'open' | 'closed' | 'gone'; reason?: string};

/** The unique key of an action: what the sync state records once the remote has it. */
export function actionKey(action: PushAction): string {
	switch (action.kind) {
		case 'done':
			return `${action.ticket}:done:${action.mergeCommit}`;
		case 'gated':
			return `${action.ticket}:gated:${action.at}`;
		case 'file':
			return `${action.ticket}:file`;
		default:
			return `${action.ticket}:${action.kind}:${action.attempts ?? 0}:${action.reasons.slice(0, 200)}`;
	}
}

/** A remote tracker. Implementations keep their own cache (ETags, ids) in `state`, which the caller persists. */
export interface SyncSource {
	/** "github" or "linear": the part of a `source:` key before # or :. */
	readonly name: string;
	/** Where it points, for messages: owner/repo, a Linear team. */
	readonly where: string;
	/** The selected open issues, blockers resolved to keys. */
	fetch(): Promise<RemoteSnapshot>;
	/** Deliver one action; returns the key of a newly created issue for `file`. Idempotent where the remote lets it be. */
	deliver(action: PushAction, resolve: (ticket: string) => string | undefined, onCreated?: (key: string) => Promise<void>): Promise<{created?: string}>;
	/** The current state of these mapped issues. */
	states(keys: string[]): Promise<RemoteState[]>;
}

/** A remote that cannot be reached now (network, 5xx after retries, rate limit): a warning with the retry time, never a lost result. */
export class RemoteUnavailableError extends Error {
	constructor(
		message: string,
		/** When to try again (ms since epoch). */
		readonly retryAt: number,
	) {
		super(message);
		this.name = 'RemoteUnavailableError';
	}
}

/** Bad sync config or remote data a person must fix: exit 2, nothing written. */
export class SyncInputError extends Error {
	constructor(message: string) {
		super(message);
		this.name = 'SyncInputError';
	}
}

/** The issue an action is for is gone from the remote (deleted, or never there): the action cannot land, now or later. */
export class RemoteIssueGoneError extends Error {
	constructor(message: string) {
		super(message);
		this.name = 'RemoteIssueGoneError';
	}
}
