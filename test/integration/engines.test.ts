/**
 * Engine profiles routed by ticket, in real runs: the CLIs are fakes named like
 * the real binaries (test/fixtures/agents/engine-bin/) that record the argv
 * their adapter built, so each attempt shows which profile ran it and how.
 */
import {existsSync, readdirSync, readFileSync, writeFileSync} from 'node:fs';
import path from 'node:path';
import {describe, expect, it} from 'vitest';
import {listRuns} from '../../source/core/run-dir.js';
import {FileTracker} from '../../source/tracker/files.js';
import {makeRepo, runCli, runEvents, trailerCount} from '../helpers/repo.js';

const bin = (cli: string) => path.resolve('test/fixtures/agents/engine-bin', cli);
// "weak" in a model's name: the fake changes nothing, so the attempt fails (the guard refuses an empty diff).
const engines = {
	cheap: {type: 'codex', bin: bin('codex'), model: 'weak-mini', effort: 'low'},
	strong: {type: 'claude', bin: bin('claude'), model: 'opus', effort: 'high'},
};
const routing = {rules: [{labels: ['mechanical'], ladder: ['cheap', 'strong']}], ladder: ['strong']};

type Call = {cli: string; args: string[]; ticket: string; attempt: number};
const calls = (file: string): Call[] =>
	readFileSync(file, 'utf8')
		.trim()
		.split('\n')
		.map(line => JSON.parse(line) as Call);

describe('engines routed by ticket', () => {
	it('the ladder: a mechanical ticket fails on the cheap profile, passes on the strong one; a ticket that names its engine and one no rule matches run as routed', async () => {
		const {root, io} = makeRepo({
			tickets: [{id: 'A', extra: 'labels: [mechanical]'}, {id: 'B'}, {id: 'C', extra: 'labels: [mechanical]\nengine: strong'}],
			config: {engines, routing, attempts: 3},
		});
		const log = path.join(io, 'engines.jsonl');
		const result = await runCli(root, ['run', '--headless'], {FAKE_ENGINE_LOG: log});
		expect(result.stderr).toBe('');
		expect(result.exitCode).toBe(0);

		// Each attempt's profile is in the log, with the agent type that ran it.
		const started = runEvents(root).flatMap(e => (e.type === 'attempt.started' ? [`${e.ticket}#${e.attempt} ${e.engine} ${e.agent}`] : []));
		expect(started.sort()).toEqual(['A#1 cheap codex', 'A#2 strong claude', 'B#1 strong claude', 'C#1 strong claude']);
		expect(runEvents(root).find(e => e.type === 'attempt.failed' && e.ticket === 'A')).toMatchObject({attempt: 1, stage: 'guard'});

		// The argv each CLI's adapter built for its profile: the model and the effort, each its own way.
		const byAttempt = new Map(calls(log).map(c => [`${c.ticket}#${c.attempt}`, c]));
		expect(byAttempt.get('A#1')).toMatchObject({cli: 'codex'});
		expect(byAttempt.get('A#1')!.args.slice(-4)).toEqual(['--model', 'weak-mini', '-c', 'model_reasoning_effort="low"']);
		expect(byAttempt.get('A#2')).toMatchObject({cli: 'claude'});
		expect(byAttempt.get('A#2')!.args.slice(-4)).toEqual(['--model', 'opus', '--effort', 'high']);
		expect(byAttempt.get('C#1')).toMatchObject({cli: 'claude'});
		expect(calls(log)).toHaveLength(4);
		// The strong attempt reads why the cheap one failed.
		expect(readFileSync(listRuns(root)[0]!.promptFile('A', 2), 'utf8')).toMatch(/Attempt 1 failed at guard/);
		for (const id of ['A', 'B', 'C']) expect(await trailerCount(root, id)).toBe(1);

		// The report attributes each attempt to the profile that ran it: a row per profile.
		const report = JSON.parse((await runCli(root, ['report', '--json'])).stdout) as {engines: Array<Record<string, unknown>>};
		const rows = Object.fromEntries(report.engines.map(r => [r.profile, r]));
		expect(Object.keys(rows).sort()).toEqual(['cheap', 'strong']);
		expect(rows.cheap).toMatchObject({agent: 'codex', attempts: 1, done: 0, failed: 1, notCharged: 0, open: 0});
		expect(rows.strong).toMatchObject({agent: 'claude', attempts: 3, done: 3, failed: 0, notCharged: 0, open: 0});
		for (const row of report.engines) expect(row.seconds).toBeGreaterThan(0);
		const md = readFileSync(path.join(listRuns(root)[0]!.dir, 'report.md'), 'utf8');
		expect(md).toMatch(/## Engine profiles\n\n\| profile \| agent \| attempts \| outcome \| time \| worker cost \|/);
		expect(md).toMatch(/\| cheap \| codex \| 1 \| 0 done, 1 failed \| [\d.]+s \| (n\/a|\$[\d.]+) \|/);
		expect(md).toMatch(/\| strong \| claude \| 3 \| 3 done, 0 failed \| [\d.]+s \| (n\/a|\$[\d.]+) \|/);
	});

	it('a ticket naming an engine the config does not define: exit 2 naming the file and the known profiles, nothing written', async () => {
		const {root, io} = makeRepo({tickets: [{id: 'A'}, {id: 'B', extra: 'engine: stronger'}], config: {engines, routing}});
		const result = await runCli(root, ['run', '--headless'], {FAKE_ENGINE_LOG: path.join(io, 'engines.jsonl')});
		expect(result.exitCode).toBe(2);
		expect(result.stderr).toMatch(/\.proofloop\/tickets\/B\.md: ticket B names engine 'stronger', which the config does not define/);
		expect(result.stderr).toMatch(/the profiles in "engines": cheap, strong/);
		expect(existsSync(path.join(root, '.proofloop/runs'))).toBe(false);
		expect(existsSync(path.join(io, 'engines.jsonl'))).toBe(false);
		const doctor = await runCli(root, ['doctor']);
		expect(doctor.stdout).toMatch(/FAIL {2}engine: \.proofloop\/tickets\/B\.md: ticket B names engine 'stronger'/);
		expect(doctor.stdout).toMatch(/fix: set "engine:" in \.proofloop\/tickets\/B\.md to one of them/);
		expect(doctor.exitCode).not.toBe(0);
	});

	it('a routing rule naming an undefined profile is a config error naming the field, exit 2', async () => {
		const {root} = makeRepo({tickets: [{id: 'A'}], config: {engines, routing: {ladder: ['cheap', 'strongest']}}});
		const result = await runCli(root, ['run', '--headless']);
		expect(result.exitCode).toBe(2);
		expect(result.stderr).toMatch(/routing\.ladder: no engine profile 'strongest' \(the profiles in "engines": cheap, strong\)/);
		expect(existsSync(path.join(root, '.proofloop/runs'))).toBe(false);
	});

	it('a profile only a later rung reaches whose CLI is missing stops the run before the first attempt; doctor says the same', async () => {
		const missing = {...engines, strong: {...engines.strong, bin: 'no-such-claude-cli'}};
		const {root, io} = makeRepo({
			tickets: [{id: 'A', extra: 'labels: [mechanical]'}],
			config: {engines: missing, routing: {rules: routing.rules}, agent: engines.cheap},
		});
		const log = path.join(io, 'engines.jsonl');
		const result = await runCli(root, ['run', '--headless'], {FAKE_ENGINE_LOG: log});
		expect(result.exitCode).toBe(2);
		expect(result.stderr).toMatch(/engine profile 'strong' \(claude\): `no-such-claude-cli` is not found/);
		expect(listRuns(root)).toEqual([]);
		expect(existsSync(log)).toBe(false);
		const doctor = await runCli(root, ['doctor']);
		expect(doctor.stdout).toMatch(/FAIL .*\(claude\): `no-such-claude-cli` is not found/);
	});
});

describe('proofloop ticket new routes a ticket', () => {
	it('--labels, --size and --engine write what routing reads; an engine the config lacks or a size not on the scale writes nothing, exit 2', async () => {
		const {root} = makeRepo({tickets: [{id: 'T-1'}], config: {engines, routing}});
		const made = await runCli(root, ['ticket', 'new', '--title', 'Rename a field', '--labels', 'mechanical,docs', '--size', 'S', '--engine', 'strong']);
		expect(made.stderr).toBe('');
		expect(made.exitCode).toBe(0);
		const tickets = await new FileTracker({repoRoot: root, dir: '.proofloop/tickets'}).load();
		expect(tickets.find(t => t.id === 'T-2')).toMatchObject({labels: ['mechanical', 'docs'], size: 'S', engine: 'strong'});
		const before = readdirSync(path.join(root, '.proofloop/tickets')).sort();
		const unknown = await runCli(root, ['ticket', 'new', '--engine', 'stronger']);
		expect(unknown.exitCode).toBe(2);
		expect(unknown.stderr).toMatch(/--engine stronger: \.proofloop\/config\.json defines no such engine profile \(the profiles in "engines": cheap, strong\)/);
		const huge = await runCli(root, ['ticket', 'new', '--size', 'huge']);
		expect(huge.exitCode).toBe(2);
		expect(huge.stderr).toMatch(/size/);
		expect(readdirSync(path.join(root, '.proofloop/tickets')).sort()).toEqual(before);
	});
});

describe('several reviewers', () => {
	const reviewerWith = (plan: string) => ({
		type: 'command',
		command: `FAKE_REVIEW_PLAN=${plan} node ${path.resolve('test/fixtures/agents/fake-reviewer.mjs')} {prompt_file}`,
	});

	it('a merge needs every approval: one asks for changes, its findings reach the next attempt, both are asked again, then it merges', async () => {
		const {root, io, plan} = makeRepo({tickets: [{id: 'A'}], config: {attempts: 3}, plan: {_sleepMs: 20}});
		const [approves, rejects] = [path.join(io, 'r1.json'), path.join(io, 'r2.json')];
		writeFileSync(approves, JSON.stringify({A: ['approve']}));
		writeFileSync(rejects, JSON.stringify({A: ['changes', 'approve']}));
		const config = JSON.parse(readFileSync(path.join(root, '.proofloop/config.json'), 'utf8')) as Record<string, unknown>;
		writeFileSync(path.join(root, '.proofloop/config.json'), JSON.stringify({...config, reviewers: [reviewerWith(approves), reviewerWith(rejects)]}));
		const result = await runCli(root, ['run', '--headless', '--allow-dirty'], {FAKE_AGENT_PLAN: plan});
		expect(result.exitCode).toBe(0);
		const events = runEvents(root);
		const reviews = events.flatMap(e => (e.type === 'review.result' ? [{attempt: e.attempt, verdict: e.verdict, findings: e.findings}] : []));
		expect(reviews).toEqual([
			{attempt: 1, verdict: 'changes', findings: ['[reviewer 2 (command)] A: name the output file work/A.out, not .txt']},
			{attempt: 2, verdict: 'approve', findings: []},
		]);
		expect(Number(readFileSync(`${approves}.A.count`, 'utf8'))).toBe(2);
		expect(Number(readFileSync(`${rejects}.A.count`, 'utf8'))).toBe(2);
		const run = listRuns(root)[0]!;
		expect(readFileSync(run.promptFile('A', 2), 'utf8')).toMatch(/\[reviewer 2 \(command\)\] A: name the output file work\/A\.out/);
		// Each reviewer has its own prompt and log.
		for (const suffix of ['review', 'review-2']) expect(existsSync(run.logFile('A', 1).replace(/\.log$/, `.${suffix}.log`))).toBe(true);
		expect(await trailerCount(root, 'A')).toBe(1);
	});

	it('with planReview, every reviewer must approve the plan, and all their findings go into the next plan round', async () => {
		const {root, io, plan} = makeRepo({tickets: [{id: 'A'}], config: {attempts: 1}, plan: {_sleepMs: 20}});
		const [approves, rejects] = [path.join(io, 'r1.json'), path.join(io, 'r2.json')];
		writeFileSync(approves, JSON.stringify({'A:plan': ['approve'], A: ['approve']}));
		writeFileSync(rejects, JSON.stringify({'A:plan': ['changes', 'approve'], A: ['approve']}));
		const config = JSON.parse(readFileSync(path.join(root, '.proofloop/config.json'), 'utf8')) as Record<string, unknown>;
		writeFileSync(
			path.join(root, '.proofloop/config.json'),
			JSON.stringify({...config, planReview: true, reviewers: [reviewerWith(approves), reviewerWith(rejects)]}),
		);
		const result = await runCli(root, ['run', '--headless', '--allow-dirty'], {FAKE_AGENT_PLAN: plan});
		expect(result.exitCode).toBe(0);
		const plans = runEvents(root).flatMap(e => (e.type === 'plan.result' ? [{round: e.round, verdict: e.verdict, findings: e.findings}] : []));
		expect(plans).toEqual([
			{round: 1, verdict: 'changes', findings: ['[reviewer 2 (command)] A: the plan must say which check proves it']},
			{round: 2, verdict: 'approve', findings: []},
		]);
		expect(Number(readFileSync(`${approves}.A:plan.count`, 'utf8'))).toBe(2);
		expect(Number(readFileSync(`${rejects}.A:plan.count`, 'utf8'))).toBe(2);
		const planPrompt = readFileSync(listRuns(root)[0]!.promptFile('A', 1).replace(/\.md$/, '.plan-2.md'), 'utf8');
		expect(planPrompt).toMatch(/\[reviewer 2 \(command\)\] A: the plan must say which check proves it/);
		expect(await trailerCount(root, 'A')).toBe(1);
	});
});
