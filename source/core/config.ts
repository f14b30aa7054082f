import {readFileSync, existsSync} from 'node:fs';
import path from 'node:path';
import {z} from 'zod';
import {SyncConfig} from '../tracker/sync/config.js';
import {AGENT_TYPES, AgentConfig} from '../agents/config.js';
import {SANDBOX_SETTINGS} from '../agents/sandbox.js';
import {NOTIFY_DEFAULT, NotifyConfig} from './notify/config.js';
import {EnginesConfig, ReviewersConfig, RoutingConfig, unknownProfiles} from './engines-config.js';
import {PLAN_DEFAULT, PlanConfig} from '../plan/config.js';
import {ExecutorConfig} from '../executor/config.js';

export const CONFIG_PATH = '.proofloop/config.json';

const commands = z.array(z.string().min(1));

// The project file. Every field has a default except the batch, so a config
// that says only {"batch": "x"} is complete; a typo'd key is an error (strict),
// because a silently ignored setting is a setting that lies.
export const ProjectConfig = z
	.object({
		$schema: z.string().optional(),
		tracker: z
			.object({
				type: z.literal('files').default('files'),
				dir: z.string().min(1).default('.proofloop/tickets'),
			})
			.strict()
			.default({type: 'files', dir: '.proofloop/tickets'})
			.describe('Where tickets live. The embedded default: one Markdown file per ticket.'),
		sync: SyncConfig.optional(),
		batch: z.string().min(1).describe('The batch to run: every ticket whose front matter says `batch: <this>`.'),
		base: z.string().min(1).default('main').describe('The branch finished work is merged into.'),
		concurrency: z.number().int().min(1).max(64).default(3).describe('How many agents run at once.'),
		agentCaps: z
			.partialRecord(z.enum(AGENT_TYPES), z.number().int().min(1).max(64))
			.default({})
			.describe(
				`At most this many processes of one agent type at once, across workers, reviewers and healers (an account's rate limit), e.g. {"claude": 2, "codex": ` +
					`4}. Types: ${AGENT_TYPES.join(', ')}. An attempt over the cap waits for a slot; it spends nothing while it waits.`,
			),
		agent: AgentConfig.optional().describe(
			'The worker engine. Default: the user preference (defaultAgent); with neither, `proofloop run` refuses. ' +
				'The built-in demo engine runs only when named here ({"type": "demo"}) or in `proofloop demo`.',
		),
		engines: EnginesConfig,
		routing: RoutingConfig,
		reviewer: AgentConfig.optional().describe('A second, different model that reviews each change between the guard and the merge. Absent: no review stage.'),
		reviewers: ReviewersConfig,
		reviewRounds: z
			.number()
			.int()
			.min(1)
			.max(10)
			.default(2)
			.describe('Review verdicts of "changes" a ticket may get before it is failed (and, with planReview, plan rounds per attempt).'),
		planReview: z
			.boolean()
			.default(false)
			.describe(
				'The worker first writes a plan (prompts/plan.md) that the reviewer must approve (prompts/plan-review.md) before it implements; needs a reviewer.',
			),
		attempts: z.number().int().min(1).max(20).default(3).describe('Fresh attempts per ticket before it is failed.'),
		attemptTimeoutSeconds: z.number().positive().default(1800).describe('Wall-clock limit of one agent process; its whole process group is killed after it.'),
		spareCheckouts: z
			.number()
			.int()
			.min(0)
			.max(8)
			.default(1)
			.describe(
				'Checkouts of base kept ready (in .proofloop/worktrees/.spare/) so a ticket that becomes ready starts its agent without waiting for a whole checkout ' +
					"to be written. Each costs one checkout's disk space; 0 turns them off.",
			),
		checks: commands.default([]).describe('Finish-line commands run in the worktree after the agent (a ticket may override).'),
		checkTimeoutSeconds: z.number().positive().default(600),
		verify: commands.default([]).describe('Live verification commands run on the merged base (a ticket may override).'),
		verifyRetries: z.number().int().min(0).max(20).default(2).describe('Extra tries of a failing verify, for eventual consistency.'),
		verifyRetryDelaySeconds: z.number().min(0).default(5),
		locks: z
			.array(z.string().min(1))
			.default(['infra'])
			.describe('Named capacity-1 resources tickets may hold (`locks: [infra]`): tickets sharing one never run together.'),
		stallMinutes: z.number().positive().default(10).describe('A worker silent this long is shown as stalled (it is still killed only at its timeout).'),
		costBudgetUsd: z
			.number()
			.positive()
			.optional()
			.describe('Stop starting attempts once the agents of this run have reported this much cost (USD); running ones finish.'),
		maxRunMinutes: z
			.number()
			.positive()
			.optional()
			.describe(
				'Stop starting attempts once engines have run this run this many minutes (over every start and resume); running ones finish and the run ends, saying so.',
			),
		selfHeal: z
			.object({
				max: z.number().int().min(0).max(10).default(2).describe('Heals per run at most (0 turns self-heal off).'),
				healer: AgentConfig.optional().describe('The healer agent. Default: the worker (not the built-in demo engine, which cannot heal).'),
				repeatLimit: z
					.number()
					.int()
					.min(0)
					.max(50)
					.default(3)
					.describe(
						'Stop dispatching when this many failed attempts in a row, of at least two tickets, end with the same harness error (an agent timeout, ' +
							'a CLI that cannot start, a check command not found); a healer or a human looks first. 0 turns it off.',
					),
			})
			.strict()
			.default({max: 2, repeatLimit: 3})
			.describe('When the run would stop without oracle 0, a healer may fix the harness (prompts, config, hooks), never the verifier.'),
		limitBackoffSeconds: z
			.number()
			.positive()
			.default(300)
			.describe('How long a ticket waits after a usage or rate limit when the CLI names no reset time (it spends no attempt).'),
		challengeFirstBlock: z
			.boolean()
			.default(true)
			.describe(
				"A worker's blocked claim on a ticket's first attempt is challenged: the next fresh attempt must look for another path before the block stands.",
			),
		notify: NotifyConfig.default(NOTIFY_DEFAULT).describe(
			'Tell a person when the run finishes, stops short, or needs them (a blocker that stood, a heal refused, a tamper refused, a budget spent): ' +
				'a command (the notification as JSON on stdin), a webhook (Slack-compatible), a desktop notification, the TUI bell. A failing notifier is a warning; ' +
				'the run never waits on one past timeoutSeconds.',
		),
		plan: PlanConfig.default(PLAN_DEFAULT).describe(
			'`proofloop plan`: the planner, the read-only researchers, the rounds the readiness lint and the reviewer may send a plan back, and what is too big.',
		),
		protectedPaths: z
			.array(z.string().min(1))
			.default(['oracle/', '.proofloop/'])
			.describe('Repo paths an agent diff must never touch (the tracker dir is always protected).'),
		maxFiledTickets: z
			.number()
			.int()
			.min(0)
			.default(20)
			.describe(
				'How many tickets agents may file (`proofloop ticket file`) in one run; past it a filing is refused and a person is asked to look (raise it here if ' +
					'the work is real).',
			),
		trackerGraceSeconds: z
			.number()
			.min(0)
			.default(120)
			.describe(
				'How long a tracker that stopped reading cleanly mid-run (a ticket deleted, corrupted, a duplicate id) may stay so, shown with its file, line and fix, ' +
					'before the run stops with its stop report.',
			),
		protect: z
			.array(z.string().min(1))
			.default([])
			.describe(
				'More repo paths the guard refuses an agent\'s diff to touch unless a person allows them in the ticket (`allow: [path]`): "dir/" a folder, ' +
					'a plain path a file or folder, `*`, `**` and `?` globs. The files the checks and verify run, and existing tests, are refused without being listed.',
			),
		executor: ExecutorConfig.describe(
			'Where each attempt\'s agent runs: {"kind": "local"} (default) or {"kind": "queue", "url": "redis://HOST:PORT/DB", "remote": GIT_URL} for `proofloop worker` processes anywhere.',
		),
		sandbox: z
			.enum(SANDBOX_SETTINGS)
			.default('auto')
			.describe(
				"Run every agent inside bubblewrap: the filesystem read-only except its worktree, a private /tmp and its CLI's config home. auto (default) and bwrap: " +
					'a run refuses to start where bwrap cannot run (fix: apt-get install bubblewrap). none: unsandboxed on purpose (as `proofloop run --unsandboxed`), ' +
					'said as UNSANDBOXED in the header, status, the report and the verdict line.',
			),
		sandboxPaths: z
			.object({
				writable: z
					.array(z.string().min(1))
					.default([])
					.describe('Extra paths sandboxed agents may write (e.g. "~/.cache", "~/.npm"); "~/" is the home directory.'),
				readable: z.array(z.string().min(1)).default([]).describe('Extra paths under /tmp sandboxed agents may read (the sandbox gives them a private /tmp).'),
			})
			.strict()
			.default({writable: [], readable: []})
			.describe('What the sandbox opens beyond its defaults. A writable path covering the repository, its .git, the tracker or the run directory is refused.'),
		agentEnv: z
			.object({
				pass: z
					.array(z.string().min(1))
					.default([])
					.describe('More variables agents receive, by name, or by prefix when the entry ends in "_" or "*" (e.g. "AWS_PROFILE", "MY_TOOL_").'),
				set: z.record(z.string(), z.string()).default({}).describe('Variables set for agents (over whatever is passed).'),
			})
			.strict()
			.default({pass: [], set: {}})
			.describe(
				"Agents get an allow-listed environment, not the engine's: PATH, HOME, USER, LANG/LC_*, TERM, TMPDIR, proxies, " +
					"the known CLIs' auth and base-URL variables (ANTHROPIC_*, CLAUDE_*, OPENAI_*, CODEX_*, GEMINI_*, GOOGLE_*, OPENCODE_*, ...), " +
					"proofloop's PROOFLOOP_*, plus these.",
			),
	})
	.strict();
export type ProjectConfig = z.infer<typeof ProjectConfig>;

export class ConfigError extends Error {
	constructor(message: string) {
		super(message);
		this.name = 'ConfigError';
	}
}

/** Load and validate the project config; errors name the file, the field and the fix. */
type Prefs = {defaultAgent?: AgentConfig; defaultReviewer?: AgentConfig};

export function loadProjectConfig(repoRoot: string, prefs: Prefs = {}): ProjectConfig {
	const file = path.join(repoRoot, CONFIG_PATH);
	if (!existsSync(file)) {
		throw new ConfigError(`${CONFIG_PATH}: not found in ${repoRoot}\n  fix: run \`proofloop init\` to create it`);
	}
	return parseProjectConfig(readFileSync(file, 'utf8'), prefs);
}

export function parseProjectConfig(text: string, prefs: Prefs = {}): ProjectConfig {
	let raw: unknown;
	try {
		raw = JSON.parse(text);
	} catch (error) {
		throw new ConfigError(
			`${CONFIG_PATH}: not valid JSON (${(error as Error).message})\n  fix: correct the syntax; an editor with the $schema line completes fields`,
		);
	}
	const parsed = ProjectConfig.safeParse(raw);
	if (!parsed.success) {
		const lines = parsed.error.issues.map(issue => {
			const field = issue.path.length > 0 ? issue.path.join('.') : '(top level)';
			return `  ${field}: ${issue.message}`;
		});
		throw new ConfigError(`${CONFIG_PATH}: invalid config\n${lines.join('\n')}\n  fix: correct these fields (see README "Config reference")`);
	}
	// The project file wins; a user's preference fills only what it leaves open.
	const config = parsed.data;
	if (!config.agent && prefs.defaultAgent) config.agent = prefs.defaultAgent;
	const invalid = (lines: string[], fix: string) => new ConfigError(`${CONFIG_PATH}: invalid config\n${lines.map(l => `  ${l}`).join('\n')}\n  fix: ${fix}`);
	const unknown = unknownProfiles(config);
	if (unknown.length > 0) throw invalid(unknown, 'name a profile defined in "engines", or define it there');
	if (config.reviewer && config.reviewers) {
		throw invalid(['reviewer and reviewers are both set'], 'put the reviewer into "reviewers" (a list) and remove "reviewer"');
	}
	if (!config.reviewer && !config.reviewers && prefs.defaultReviewer) config.reviewer = prefs.defaultReviewer;
	if (config.planReview && !config.reviewer && !config.reviewers) {
		throw new ConfigError(
			`${CONFIG_PATH}: invalid config\n  planReview: true needs a reviewer to approve the plans, and none is set\n  fix: set "reviewer" (e.g. {"type": ` +
				`"codex"}), or turn planReview off`,
		);
	}
	return config;
}

/** The "agent", else the default ladder's first rung (routing that sends every ticket to profiles needs no "agent"); also the healer's default. */
export function workerOf(config: ProjectConfig): AgentConfig | undefined {
	const first = config.routing.ladder?.[0];
	return config.agent ?? (first === undefined ? undefined : config.engines[first]);
}

/** The agent in force after defaults; none configured is bad input (the demo engine is never a silent default). */
export function agentOf(config: ProjectConfig): AgentConfig {
	const agent = workerOf(config);
	if (agent) return agent;
	throw new ConfigError(
		`${CONFIG_PATH}: no agent is configured, so there is nothing to run the tickets with\n` +
			`  fix: set "agent" in ${CONFIG_PATH}, e.g. "agent": {"type": "claude"} (or codex, gemini, opencode; \`proofloop doctor\` checks it is installed),\n` +
			`       or {"type": "demo"} to run the built-in demo engine on purpose; \`proofloop demo\` tries proofloop without an agent`,
	);
}
