import {existsSync, readdirSync, readFileSync, writeFileSync} from 'node:fs';
import path from 'node:path';
import {describe, expect, it} from 'vitest';
import {probeBwrap} from '../../source/agents/sandbox.js';
import {makeRepo, runCli} from '../helpers/repo.js';

const PLANNER = path.resolve('test/fixtures/agents/fake-planner.mjs');
const planner = {type: 'command', command: `node ${PLANNER} {prompt_file}`};

const master = {
	title: 'Metrics and paging',
	requirement: 'Requests are counted and someone is paged when errors pass 5%.',
	context: ['README.md describes the app'],
	acceptance: ['a request shows in the metrics', 'an error burst pages'],
	angles: ['where requests are handled', 'how alerts are sent', 'which tests cover it'],
};
const findings = (angle: string) => ({angle, findings: [{text: `about ${angle}`, cites: ['README.md:1']}]});
const ticket = (key: string, extra: Record<string, unknown> = {}) => ({
	key,
	title: `Do ${key}`,
	scope: `change for ${key}`,
	acceptance: [`${key} works`],
	files: ['README.md'],
	deps: [],
	locks: [],
	testPlan: [`a test of ${key}`],
	...extra,
});
const good = {
	tickets: [
		ticket('counter', {size: 'S', labels: ['mechanical']}),
		ticket('endpoint', {deps: ['counter'], files: [{path: 'src/metrics.ts', create: true}]}),
		ticket('pager', {deps: ['endpoint']}),
	],
};

function planRepo(script: Record<string, unknown>, config: Record<string, unknown> = {}) {
	const {root, io} = makeRepo({tickets: [], config: {plan: {planner, researchers: 3, rounds: 3}, ...config}});
	const scriptFile = path.join(io, 'plan-script.json');
	writeFileSync(scriptFile, JSON.stringify(script));
	const out = path.join(io, 'plan-calls.jsonl');
	const env = {FAKE_PLAN_SCRIPT: scriptFile, FAKE_PLAN_OUT: out, GITHUB_TOKEN: 'ghp_secret_never_for_agents'};
	const calls = () =>
		existsSync(out)
			? readFileSync(out, 'utf8')
					.trim()
					.split('\n')
					.map(line => JSON.parse(line) as {step: string; role: string; env: string[]; write?: string; writeAbs?: string})
			: [];
	const tickets = () => readdirSync(path.join(root, '.proofloop', 'tickets')).filter(name => name.endsWith('.md'));
	return {root, io, env, calls, tickets};
}

const script = (over: Record<string, unknown> = {}) => ({
	master,
	'research-1': findings(master.angles[0]!),
	'research-2': findings(master.angles[1]!),
	'research-3': findings(master.angles[2]!),
	breakdown: good,
	review: {verdict: 'approve'},
	...over,
});

describe('proofloop plan', () => {
	it('refuses a ticket without acceptance and a cycle, takes the fixed round and the review, writes the batch, and the run finishes it at oracle 0', async () => {
		const bad = {
			tickets: [ticket('counter', {acceptance: []}), ticket('endpoint', {deps: ['pager']}), ticket('pager', {deps: ['endpoint']})],
		};
		const {root, env, calls, tickets} = planRepo(
			script({
				'breakdown-1': bad,
				'review-2': {verdict: 'approve'},
				'review-2-2': {verdict: 'changes', findings: ['split nothing; name the pager test']},
				'review-3': {verdict: 'approve'},
				'review-3-2': {verdict: 'approve'},
			}),
			{reviewers: [planner, planner]},
		);
		const result = await runCli(root, ['plan', 'Count the requests.', 'Page someone when errors pass 5%.'], env);
		expect(result.stderr).toBe('');
		expect(result.exitCode).toBe(0);
		expect(result.stdout).toMatch(/readiness lint refused 2 of 3 ticket\(s\)/);
		expect(result.stdout).toMatch(/counter: it has no acceptance criteria/);
		expect(result.stdout).toMatch(/its dependencies close a cycle: endpoint -> pager -> endpoint/);
		// Two reviewers: the second one's objection sends the plan back, named.
		expect(result.stdout).toMatch(/review: changes\n\s+reviewer 2 \(command\): split nothing; name the pager test\n/);
		expect(result.stdout).toMatch(/plan written .*batch b/);
		// The planner saw the lint's findings and the review's in the rounds after.
		const steps = calls().map(c => c.step);
		expect(steps.slice(0, 1)).toEqual(['master']);
		expect(steps.filter(s => s.startsWith('research-')).sort()).toEqual(['research-1', 'research-2', 'research-3']);
		expect(steps.slice(4, 6)).toEqual(['breakdown-1', 'breakdown-2']);
		expect(steps.slice(6, 8).sort()).toEqual(['review-2', 'review-2-2']);
		expect(steps[8]).toBe('breakdown-3');
		expect(steps.slice(9).sort()).toEqual(['review-3', 'review-3-2']);
		expect(
			readFileSync(
				path.join(
					root,
					'.proofloop',
					'plans',
					readdirSync(path.join(root, '.proofloop', 'plans')).find(d => d.startsWith('plan-'))!,
					'prompts',
					'breakdown-3.md',
				),
				'utf8',
			),
		).toMatch(/reviewer 2 \(command\): split nothing/);
		expect(
			readFileSync(
				path.join(
					root,
					'.proofloop',
					'plans',
					readdirSync(path.join(root, '.proofloop', 'plans')).find(d => d.startsWith('plan-'))!,
					'prompts',
					'breakdown-2.md',
				),
				'utf8',
			),
		).toMatch(/counter: it has no acceptance criteria/);
		// No agent got the token.
		for (const call of calls()) expect(call.env).not.toContain('GITHUB_TOKEN');
		// Master T-1 depends on the three; their deps are the tracker's ids.
		expect(tickets().sort()).toEqual(['T-1.md', 'T-2.md', 'T-3.md', 'T-4.md']);
		const text = (id: string) => readFileSync(path.join(root, '.proofloop', 'tickets', `${id}.md`), 'utf8');
		expect(text('T-1')).toMatch(/deps: \[T-2, T-3, T-4\]/);
		expect(text('T-1')).toMatch(/## Requirement\n\nRequests are counted/);
		expect(text('T-3')).toMatch(/deps: \[T-2\]/);
		expect(text('T-2')).toMatch(/size: S\nlabels: \[mechanical\]/);
		expect(text('T-3')).toMatch(/`src\/metrics.ts` \(new\)/);
		for (const id of ['T-2', 'T-3', 'T-4']) expect(text(id)).toMatch(/status: todo\nbatch: b\n[\s\S]*## Acceptance\n\n- .+[\s\S]*## Test plan\n\n- .+/);

		// The planned batch runs to the oracle's exit 0 (no change reviewer for the run: it is the fake planner).
		const configFile = path.join(root, '.proofloop', 'config.json');
		const {reviewers: _, ...config} = JSON.parse(readFileSync(configFile, 'utf8')) as Record<string, unknown>;
		writeFileSync(configFile, JSON.stringify(config));
		const plan = path.join(root, '..', `${path.basename(root)}-io`, 'plan.json');
		const run = await runCli(root, ['run', '--headless'], {FAKE_AGENT_PLAN: plan});
		expect(run.stdout).toMatch(/oracle: exit 0/);
		expect(run.exitCode).toBe(0);
	});

	it('writes nothing and says why when the plan never passes', async () => {
		const {root, env, tickets} = planRepo(script({breakdown: {tickets: [ticket('only', {testPlan: [], openQuestions: ['which pager?']})]}}));
		const result = await runCli(root, ['plan', 'Page someone.'], env);
		expect(result.exitCode).toBe(1);
		expect(result.stdout).toMatch(/no plan written: the plan did not pass in 3 round\(s\); nothing was written/);
		expect(result.stdout).toMatch(/still failing: only: it has no test plan/);
		expect(result.stdout).toMatch(/still failing: only: it has an open question: which pager\?/);
		expect(tickets()).toEqual([]);
	});

	it('does not use the answer of a researcher that wrote in its checkout, and stops at a write to the tracker (unsandboxed)', async () => {
		const wrote = planRepo(script({'research-2': {answer: findings(master.angles[1]!), _write: 'notes.txt'}}), {sandbox: 'none'});
		const first = await runCli(wrote.root, ['plan', 'Page someone.'], wrote.env);
		expect(first.exitCode).toBe(0);
		expect(first.stdout).toMatch(
			/research-2 \(how alerts are sent\): the researcher wrote in its read-only checkout \(\?\? notes.txt\); its answer is not used/,
		);
		expect(wrote.calls().find(c => c.step === 'research-2')?.write).toBe('written');

		const {root, env, tickets} = planRepo(script(), {sandbox: 'none'});
		const target = path.join(root, '.proofloop', 'tickets', 'forged.md');
		writeFileSync(
			path.join(path.dirname(env.FAKE_PLAN_SCRIPT), 'plan-script.json'),
			JSON.stringify(script({'research-1': {answer: findings('x'), _writeAbs: target}})),
		);
		const result = await runCli(root, ['plan', 'Page someone.'], env);
		expect(result.exitCode).toBe(1);
		expect(result.stdout).toMatch(
			/TAMPER: the tracker \(\.proofloop\/tickets\).* changed while (research-\d, )*research-1(, research-\d)* ran; a plan agent only reads, so the plan stops and writes nothing/,
		);
		expect(tickets()).toEqual(['forged.md']);
	});

	it.skipIf(!probeBwrap().ok)('sandboxed, a researcher can write neither its checkout nor the tracker', async () => {
		const {root, env, calls, tickets} = planRepo(script({'research-1': {answer: findings(master.angles[0]!), _write: 'notes.txt', _writeAbs: '/dev/null/x'}}), {
			sandbox: 'auto',
		});
		const target = path.join(root, '.proofloop', 'tickets', 'forged.md');
		writeFileSync(env.FAKE_PLAN_SCRIPT, JSON.stringify(script({'research-1': {answer: findings(master.angles[0]!), _write: 'notes.txt', _writeAbs: target}})));
		const result = await runCli(root, ['plan', 'Page someone.'], env);
		expect(result.exitCode).toBe(0);
		const research = calls().find(c => c.step === 'research-1');
		expect(research?.write).toMatch(/EROFS|EACCES|EPERM/);
		expect(research?.writeAbs).toMatch(/EROFS|EACCES|EPERM/);
		expect(tickets().sort()).toEqual(['T-1.md', 'T-2.md', 'T-3.md', 'T-4.md']);
	});

	it('refuses bad input with exit 2 and writes nothing', async () => {
		const {root, env, calls} = planRepo(script());
		const empty = await runCli(root, ['plan', '  '], env);
		expect(empty.exitCode).toBe(2);
		expect(empty.stderr).toMatch(/no request to plan\n\s+fix: proofloop plan "/);
		const taken = makeRepo({tickets: [{id: 'A', batch: 'b'}], config: {plan: {planner}}});
		const busy = await runCli(taken.root, ['plan', '--batch', 'b', 'Do it.'], env);
		expect(busy.exitCode).toBe(2);
		expect(busy.stderr).toMatch(
			/batch b already has 1 ticket\(s\) \(\.proofloop\/tickets\/A\.md\); a plan writes a new batch\n\s+fix: name another with --batch NAME/,
		);
		expect(calls()).toEqual([]);
		expect(existsSync(path.join(root, '.proofloop', 'plans'))).toBe(false);
		expect(existsSync(path.join(taken.root, '.proofloop', 'plans'))).toBe(false);
	});
});
