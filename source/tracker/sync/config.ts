import {z} from 'zod';

// The config's "sync" field: which remote tracker the ticket files are synced with.
// A union on "type", so Linear joins as one more member.

const labelMap = z.record(z.string().min(1), z.string().min(1));

export const GithubSyncConfig = z
	.object({
		type: z.literal('github'),
		repo: z
			.string()
			.regex(/^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/, 'write the repository as owner/name')
			.describe('The repository whose issues are synced, owner/name.'),
		labels: z.array(z.string().min(1)).optional().describe('Pull the open issues that carry every one of these labels.'),
		milestone: z
			.union([z.string().min(1), z.number().int().min(1)])
			.optional()
			.describe('Pull the open issues of this milestone (its title or number).'),
		query: z.string().min(1).optional().describe('Pull the open issues a search finds (GitHub search syntax; repo:, is:issue and is:open are added).'),
		lockLabels: labelMap.default({}).describe('A label that makes the ticket hold a lock: {"needs-infra": "infra"}.'),
		batchLabels: labelMap
			.default({})
			.describe('A label that puts the ticket in a batch: {"sprint-3": "sprint-3"}; an issue with none of them joins the config\'s "batch".'),
		gatedLabel: z.string().min(1).default('proofloop:human-gated').describe("The label a human-gated ticket's issue gets."),
		idPrefix: z
			.string()
			.regex(/^[A-Za-z][A-Za-z0-9_.-]*$/)
			.default('GH-')
			.describe('A pulled issue #12 becomes ticket <idPrefix>12.'),
		apiUrl: z.string().url().default('https://api.github.com').describe('The REST API root (GitHub Enterprise Server: https://HOST/api/v3).'),
	})
	.strict()
	.refine(c => c.labels !== undefined || c.milestone !== undefined || c.query !== undefined, {
		message: 'say which issues to pull: "labels", "milestone" or "query"',
	});
export type GithubSyncConfig = z.infer<typeof GithubSyncConfig>;

export const LinearSyncConfig = z
	.object({
		type: z.literal('linear'),
		team: z
			.string()
			.regex(/^[A-Za-z0-9]+$/, 'write the team\'s key, e.g. "ENG"')
			.describe('The key of the team whose issues are synced (ENG of ENG-42).'),
		project: z.string().min(1).optional().describe('Pull only the issues of this project (its name).'),
		labels: z.array(z.string().min(1)).optional().describe('Pull only the issues that carry every one of these labels.'),
		cycle: z.number().int().min(1).optional().describe('Pull only the issues of this cycle (its number).'),
		skipStates: z
			.array(z.enum(['triage', 'backlog', 'unstarted', 'started', 'completed', 'canceled']))
			.default(['completed', 'canceled'])
			.describe('Issues in a workflow state of these types are not pulled.'),
		gatedLabel: z.string().min(1).default('proofloop:human-gated').describe("The label a human-gated ticket's issue gets (made in the team when missing)."),
		doneState: z.string().min(1).optional().describe("The workflow state a done ticket's issue moves to (its name); else the team's first completed state."),
		lockLabels: labelMap.default({}).describe('A label that makes the ticket hold a lock: {"needs-infra": "infra"}.'),
		batchLabels: labelMap
			.default({})
			.describe('A label that puts the ticket in a batch: {"sprint-3": "sprint-3"}; an issue with none of them joins the config\'s "batch".'),
		idPrefix: z
			.string()
			.regex(/^([A-Za-z][A-Za-z0-9_.-]*)?$/)
			.default('')
			.describe('A pulled issue ENG-42 becomes ticket <idPrefix>ENG-42.'),
		minRequestInterval: z
			.number()
			.min(0.1)
			.default(1.5)
			.describe('Seconds between two requests to Linear, at least (1.5 keeps under its 2,500 requests an hour).'),
		apiUrl: z.string().url().default('https://api.linear.app/graphql').describe('The GraphQL endpoint.'),
	})
	.strict();
export type LinearSyncConfig = z.infer<typeof LinearSyncConfig>;

export const SyncConfig = z
	.discriminatedUnion('type', [GithubSyncConfig, LinearSyncConfig])
	.describe(
		'A remote tracker synced with the ticket files, which stay the live store: `proofloop sync pull` (and `proofloop run`, before it starts) ' +
			"copies its open issues into tickets; results are pushed back as tickets settle. The token comes from GITHUB_TOKEN or `gh auth token` (GitHub), LINEAR_API_KEY (Linear), never an agent's environment.",
	);
export type SyncConfig = z.infer<typeof SyncConfig>;
