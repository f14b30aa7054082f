/**
 * The plan pass: the planner writes the master, researchers answer its angles
 * in parallel, the planner breaks it down, the readiness lint and then the
 * reviewer judge each round, and only a plan that passes both is written.
 * Every step's answer is kept in the plan directory (plan.json).
 */
import {writeFileSync} from 'node:fs';
import path from 'node:path';
import type {AgentAdapter} from '../agents/adapter.js';
import {ReviewVerdict} from '../core/review.js';
import {loadTemplate, renderTemplate} from '../core/prompt.js';
import {askPlanAgent, type PlanAgentHost} from './agents.js';
import {lintPlan, type LintFinding, type LintLimits} from './lint.js';
import {Breakdown, Findings, MasterDraft, type PlannedTicket} from './schema.js';
import {weakChecks} from './weak-checks.js';
import {renderPlan, writePlan, type WrittenTicket} from './write.js';

export type PlanRequest = {
	request: string;
	batch: string;
	planner: AgentAdapter;
	/** Every one must approve the plan; the findings of all go back to the planner. */
	reviewers: Array<{name: string; adapter: AgentAdapter}>;
	researchers: number;
	rounds: number;
	limits: LintLimits;
	baseFiles: ReadonlySet<string>;
	existingIds: ReadonlySet<string>;
	/** The config's `checks`, which no planned ticket (nor the master) may drop or weaken. */
	configChecks: readonly string[];
	/** Tracker tickets not done (another batch's) and the config's locks: what \`proofloop run\` would refuse. */
	openIds?: ReadonlySet<string>;
	declaredLocks?: readonly string[];
};

export type PlanRecord = {
	id: string;
	request: string;
	batch: string;
	master?: MasterDraft;
	findings: Findings[];
	rounds: Array<{round: number; tickets?: PlannedTicket[]; lint: LintFinding[]; review?: string[]; problem?: string}>;
	outcome?: {ok: true; master: WrittenTicket; tickets: WrittenTicket[]} | {ok: false; reason: string; unresolved: string[]};
	usage: PlanAgentHost['usage'];
};

/** Every promise settled (no agent left running unwatched), then the first failure thrown. */
async function allSettled<T>(promises: Array<Promise<T>>): Promise<T[]> {
	const settled = await Promise.allSettled(promises);
	const failed = settled.find(result => result.status === 'rejected');
	if (failed) throw failed.reason;
	return settled.map(result => (result as PromiseFulfilledResult<T>).value);
}

const block = (items: string[], none: string) => (items.length > 0 ? items.map(item => `- ${item}`).join('\n') : none);

export async function runPlan(host: PlanAgentHost, req: PlanRequest): Promise<PlanRecord> {
	const record: PlanRecord = {id: host.planId, request: req.request, batch: req.batch, findings: [], rounds: [], usage: host.usage};
	const save = () => writeFileSync(path.join(host.planDir, 'plan.json'), `${JSON.stringify(record, null, 2)}\n`);
	const fail = (reason: string, unresolved: string[] = []) => {
		record.outcome = {ok: false, reason, unresolved};
		save();
		return record;
	};
	const template = (name: Parameters<typeof loadTemplate>[1], values: Record<string, string>) => renderTemplate(loadTemplate(host.root, name), values);

	host.say(`planner: writing the master ticket`);
	const master = await askPlanAgent(host, {
		adapter: req.planner,
		role: 'planner',
		name: 'master',
		schema: MasterDraft,
		prompt: template('plan-master', {request: req.request, base: host.base, researchers: String(req.researchers)}),
	});
	if (!master.ok) return fail(`no master ticket: ${master.reason}`);
	const weakMaster = weakChecks(master.value.checks, req.configChecks);
	if (weakMaster.length > 0)
		return fail(
			`no master ticket: ${weakMaster.join('; ')}`,
			weakMaster.map(reason => `master: ${reason}`),
		);
	record.master = master.value;
	save();
	const masterText = JSON.stringify(master.value, null, 2);
	host.say(`master: ${master.value.title}`);

	const angles = master.value.angles.slice(0, req.researchers);
	host.say(`research: ${angles.length} researcher(s) in parallel, read-only`);
	const answers = await allSettled(
		angles.map((angle, i) =>
			askPlanAgent(host, {
				adapter: req.planner,
				role: 'researcher',
				name: `research-${i + 1}`,
				schema: Findings,
				prompt: template('plan-research', {angle, master: masterText, base: host.base}),
			}),
		),
	);
	answers.forEach((answer, i) => {
		if (answer.ok) record.findings.push(answer.value);
		host.say(`  research-${i + 1} (${angles[i]}): ${answer.ok ? `${answer.value.findings.length} finding(s)` : answer.reason}`);
	});
	save();
	const findingsText =
		record.findings
			.map(
				f =>
					`### ${f.angle}\n\n${block(
						f.findings.map(item => `${item.text} (${item.cites.join(', ')})`),
						'- (nothing found)',
					)}`,
			)
			.join('\n\n') || '(no researcher answered: read the code yourself)';

	let problems: string[] = [];
	for (let round = 1; round <= req.rounds; round++) {
		host.say(`breakdown round ${round} of ${req.rounds}`);
		const entry: PlanRecord['rounds'][number] = {round, lint: []};
		record.rounds.push(entry);
		const breakdown = await askPlanAgent(host, {
			adapter: req.planner,
			role: 'planner',
			name: `breakdown-${round}`,
			schema: Breakdown,
			prompt: template('plan-breakdown', {
				master: masterText,
				findings: findingsText,
				problems: block(problems, 'Nothing: this is the first round.'),
				round: String(round),
				max_rounds: String(req.rounds),
				base: host.base,
				max_files: String(req.limits.maxFiles),
				max_acceptance: String(req.limits.maxAcceptance),
				max_tickets: String(req.limits.maxTickets ?? 30),
			}),
		});
		if (!breakdown.ok) {
			entry.problem = breakdown.reason;
			problems = [breakdown.reason];
			host.say(`  ${breakdown.reason}`);
			save();
			continue;
		}
		const tickets = breakdown.value.tickets;
		entry.tickets = tickets;
		entry.lint = lintPlan({
			tickets,
			baseFiles: req.baseFiles,
			existingIds: req.existingIds,
			limits: req.limits,
			configChecks: req.configChecks,
			openIds: req.openIds,
			declaredLocks: req.declaredLocks,
		});
		save();
		if (entry.lint.length > 0) {
			problems = entry.lint.map(f => `${f.key}: ${f.reason}`);
			host.say(`  readiness lint refused ${new Set(entry.lint.map(f => f.key)).size} of ${tickets.length} ticket(s):`);
			for (const line of problems) host.say(`    ${line}`);
			continue;
		}
		host.say(`  readiness lint: all ${tickets.length} ticket(s) ready`);
		const verdicts = await allSettled(
			req.reviewers.map((reviewer, i) =>
				askPlanAgent(host, {
					adapter: reviewer.adapter,
					role: 'reviewer',
					name: `review-${round}${i > 0 ? `-${i + 1}` : ''}`,
					schema: ReviewVerdict,
					prompt: template('plan-batch-review', {
						master: masterText,
						tickets: JSON.stringify(tickets, null, 2),
						round: String(round),
						max_rounds: String(req.rounds),
						base: host.base,
					}),
				}),
			),
		);
		const objections = verdicts.flatMap((review, i) => {
			const who = req.reviewers.length > 1 ? `${req.reviewers[i]!.name}: ` : '';
			if (!review.ok) return [`${who}the review failed: ${review.reason}`];
			return review.value.verdict === 'changes' ? review.value.findings.map(finding => `${who}${finding}`) : [];
		});
		if (req.reviewers.length > 0) {
			entry.review = objections;
			save();
			host.say(`  review: ${objections.length > 0 ? 'changes' : 'approved'}`);
			if (objections.length > 0) {
				problems = objections;
				for (const line of problems) host.say(`    ${line}`);
				continue;
			}
		}
		let rendered: ReturnType<typeof renderPlan>;
		try {
			rendered = renderPlan({
				root: host.root,
				trackerDir: host.trackerDir,
				batch: req.batch,
				request: req.request,
				master: master.value,
				findings: record.findings,
				tickets,
			});
		} catch (error) {
			// A value the tracker cannot hold (a lock name, a check): the planner's to fix, like the lint's findings.
			problems = [(error as Error).message];
			entry.problem = problems[0];
			host.say(`  ${problems[0]}`);
			save();
			continue;
		}
		await writePlan(host.root, rendered.files);
		record.outcome = {ok: true, master: rendered.master, tickets: rendered.subs};
		save();
		return record;
	}
	return fail(`the plan did not pass in ${req.rounds} round(s); nothing was written`, problems);
}
