import {createServer, type Server} from 'node:http';
import type {AddressInfo} from 'node:net';
import {existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import path from 'node:path';
import {pathToFileURL} from 'node:url';
import {afterAll, beforeAll, describe, expect, it} from 'vitest';
import type {EngineEvent} from '../../source/core/events.js';
import {renderReportHtml} from '../../source/core/report-html/render.js';
import type {RunReport} from '../../source/core/report.js';
import {Chromium, findChromium} from '../helpers/chromium.js';
import {listRuns} from '../../source/core/run-dir.js';
import {makeRepo, runCli, runEvents} from '../helpers/repo.js';

// The page is looked at in a real browser; where there is none the test says so and skips (CI installs it: .ci/run).
const CHROMIUM = findChromium();
if (!CHROMIUM) console.warn('report-html.test: SKIPPED, no chromium on PATH (apt-get install chromium)');
const ARTIFACTS = path.resolve('test-artifacts');

type Page = {
	csp?: string;
	rows: Array<{ticket: string; bars: number; stages: string[]}>;
	nodes: string[];
	edges: number;
	caught: string;
	cost: string;
	scripts: number;
};
const inspect = `(() => ({
	rows: [...document.querySelectorAll('svg.timeline g.row')].map(r => ({ticket: r.dataset.ticket, bars: r.querySelectorAll('g.bar').length, stages: [...r.querySelectorAll('g.bar')].map(b => b.dataset.stage + ':' + b.dataset.outcome)})),
	nodes: [...document.querySelectorAll('svg.graph g.node')].map(n => n.dataset.ticket),
	edges: document.querySelectorAll('svg.graph path.edge').length,
	caught: document.querySelector('#caught').innerText,
	cost: document.querySelector('#cost').innerText,
	csp: document.querySelector('meta[http-equiv="Content-Security-Policy"]')?.content,
	scripts: document.querySelectorAll('script, img, iframe, object, embed, link, [onload], [onerror], [onclick]').length,
}))()`;

describe.skipIf(!CHROMIUM)('report --html in headless Chromium', () => {
	let browser: Chromium;
	let server: Server;
	let hits: string[] = [];
	let origin = '';
	beforeAll(async () => {
		mkdirSync(ARTIFACTS, {recursive: true});
		browser = await Chromium.launch(CHROMIUM!);
		// Anything the page fetched from the network would land here.
		server = createServer((request, response) => {
			hits.push(request.url ?? '');
			response.end('');
		});
		await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve));
		origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
	}, 60_000);
	afterAll(async () => {
		await browser?.close();
		server?.close();
	});

	it("the demo run's page: one timeline row per ticket with its stages, the dependency graph, what the finish line caught, cost by agent; no request leaves it", async () => {
		const dir = path.join(mkdtempSync(path.join(tmpdir(), 'pl-html-')), 'repo');
		const demo = await runCli(process.cwd(), ['demo', '--dir', dir]);
		expect(demo.exitCode, demo.stdout + demo.stderr).toBe(0);
		const out = path.join(ARTIFACTS, 'report-demo.html');
		const written = await runCli(dir, ['report', '--html', '--out', out]);
		expect(written.exitCode, written.stderr).toBe(0);
		expect(written.stdout.trim()).toBe(out);

		const url = pathToFileURL(out).href;
		await browser.open(url);
		const page = await browser.evaluate<Page>(inspect);
		const tickets = [...new Set(runEvents(dir).flatMap(e => (e.type === 'ticket.done' ? [e.ticket] : [])))].sort();
		expect(tickets).toHaveLength(10);
		expect(page.rows.map(r => r.ticket).sort()).toEqual(tickets);
		for (const row of page.rows) expect(row.stages, row.ticket).toEqual(expect.arrayContaining(['implement:ok', 'checks:ok', 'merge:ok', 'verify:ok']));
		// The scripted failures, where they happened.
		expect(page.rows.find(r => r.ticket === 'T-4')!.stages).toContain('verify:failed');
		expect(page.rows.find(r => r.ticket === 'T-5')!.stages).toContain('checks:failed');
		expect(page.rows.find(r => r.ticket === 'T-9')!.stages).toContain('implement:waiting');
		expect(page.nodes.sort()).toEqual(tickets);
		expect(page.edges).toBeGreaterThanOrEqual(8);
		expect(page.caught).toMatch(/T-4\s+1\s+verify/);
		expect(page.caught).toMatch(/T-5\s+1\s+checks/);
		expect(page.cost).toMatch(/demo\s+worker\s+\d+\s+[\d,]+\s+[\d,]+\s+n\/a/);
		// The demo reports no cost: n/a in the tickets and the facts too, never $0.00.
		expect(await browser.evaluate<string>(`document.body.innerText`)).not.toMatch(/\$0\.00/);
		expect(page.scripts).toBe(0);
		expect(page.csp).toMatch(/^default-src 'none';/);
		// The only request: the file itself (Chromium reports a request CSP blocked too).
		expect(browser.requestedUrls()).toEqual([url]);
		expect(readFileSync(out, 'utf8')).not.toMatch(/\b(?:src|href)=["']?(?:https?:)?\/\//);
		writeFileSync(path.join(ARTIFACTS, 'report-demo.png'), await browser.screenshot());
	}, 300_000);

	it('what an agent wrote is text on the page, never markup: no element, no request', async () => {
		const attack = `<img src="${origin}/img"><script>fetch('${origin}/script')</script><svg onload="fetch('${origin}/svg')"></svg>`;
		const quote = `" onmouseover="fetch('${origin}/attr')" x="`;
		const at = new Date().toISOString();
		const events = [
			{seq: 1, at, type: 'run.started', runId: 'R', batch: 'b', base: 'main', baseCommit: 'c', ticketIds: ['T-1'], oracleSha256: 's', pid: 1},
			{seq: 2, at, type: 'run.tickets', tickets: [{id: 'T-1', title: attack, status: 'todo', deps: [quote], locks: [], priority: 0}]},
			{seq: 3, at, type: 'attempt.started', ticket: 'T-1', attempt: 1, maxAttempts: 3, agent: attack, worktree: '/w'},
			{seq: 4, at, type: 'stage', ticket: 'T-1', attempt: 1, stage: 'implement'},
			{
				seq: 5,
				at,
				type: 'agent.exited',
				ticket: 'T-1',
				attempt: 1,
				ok: true,
				reason: attack,
				durationMs: 1,
				usage: {inputTokens: 1, outputTokens: 1, costUsd: 0.01},
			},
			{seq: 6, at, type: 'guard.result', ticket: 'T-1', attempt: 1, ok: false, reason: quote, files: [attack]},
			{seq: 7, at, type: 'attempt.failed', ticket: 'T-1', attempt: 1, stage: 'guard', reason: attack},
			{seq: 8, at, type: 'tamper.refused', channel: 'worker', verb: attack, detail: quote, ticket: 'T-1', attempt: 1},
		] as EngineEvent[];
		const report = {
			runId: attack,
			batch: quote,
			base: 'main',
			startedAt: at,
			endedAt: at,
			makespanSeconds: 1,
			oracle: {exit: 1, verdict: attack, summary: quote},
			interventions: 1,
			interventionsByKind: {gate: 1},
			interventionList: [{at, kind: 'gate', by: attack, ticket: 'T-1', reason: quote}],
			controls: 1,
			controlsByKind: {pause: 1},
			controlList: [{at, kind: 'pause', by: attack}],
			heals: 1,
			healList: [{heal: 1, outcome: 'refused', reason: attack, files: [quote], diff: attack}],
			harnessRepeats: [],
			sandbox: 'none' as unknown as RunReport['sandbox'],
			filedByLoop: [],
			tampers: [{channel: 'worker', verb: attack, detail: quote, ticket: 'T-1', attempt: 1, at}],
			costUsd: 0.01,
			tickets: [
				{
					id: 'T-1',
					title: attack,
					status: quote,
					attempts: 1,
					seconds: 1,
					failures: [attack],
					costUsd: 0.01,
					caught: {guard: 1},
					filed: [],
					discoveredFrom: attack,
				},
			],
			engines: [{profile: attack, agent: quote, attempts: 1, done: 0, failed: 1, notCharged: 0, open: 0, seconds: 1, costUsd: 0, costReported: false}],
			checkoutNotices: [attack],
		} as RunReport;
		const file = path.join(ARTIFACTS, 'report-hostile.html');
		writeFileSync(file, renderReportHtml(report, events));
		hits = [];
		const before = browser.requestedUrls().length;
		await browser.open(pathToFileURL(file).href);
		const page = await browser.evaluate<Page>(inspect);
		expect(page.scripts).toBe(0);
		expect(page.rows.map(r => r.ticket)).toEqual(['T-1']);
		// Interventions (the work) and controls (pause...) apart.
		expect(await browser.evaluate<string>(`document.querySelector('#interventions').innerText`)).toMatch(
			/gate\s+T-1[\s\S]*Controls \(pause, resume, stop, restart: not work\)[\s\S]*pause/,
		);
		expect(await browser.evaluate<boolean>(`document.body.innerText.includes(${JSON.stringify(attack)})`)).toBe(true);
		// Give anything that slipped through a moment to fetch.
		await new Promise(resolve => setTimeout(resolve, 500));
		expect(hits).toEqual([]);
		expect(browser.requestedUrls().slice(before)).toEqual([pathToFileURL(file).href]);
		writeFileSync(path.join(ARTIFACTS, 'report-hostile.png'), await browser.screenshot());
	}, 60_000);
});

describe('report --html: where it writes, and bad input', () => {
	it('writes report.html in the run directory by default; --out into a missing directory, or without --html, is exit 2 and writes nothing', async () => {
		const {root, plan} = makeRepo({tickets: [{id: 'T-1'}]});
		expect((await runCli(root, ['run', '--headless'], {FAKE_AGENT_PLAN: plan})).exitCode).toBe(0);
		const run = listRuns(root)[0]!;
		const written = await runCli(root, ['report', '--html']);
		expect(written.exitCode, written.stderr).toBe(0);
		expect(written.stdout.trim()).toBe(path.join(run.dir, 'report.html'));
		expect(readFileSync(path.join(run.dir, 'report.html'), 'utf8')).toMatch(/^<!doctype html>[\s\S]*data-ticket="T-1"/);
		const asJson = await runCli(root, ['report', '--html', '--json']);
		expect(JSON.parse(asJson.stdout)).toEqual({html: path.join(run.dir, 'report.html')});

		const missing = path.join(root, 'no-such-dir', 'r.html');
		const bad = await runCli(root, ['report', '--html', '--out', missing]);
		expect(bad.exitCode).toBe(2);
		expect(bad.stderr).toMatch(/no-such-dir does not exist\n\s+fix: create it first/);
		expect(existsSync(path.dirname(missing))).toBe(false);
		const noHtml = await runCli(root, ['report', '--out', path.join(root, 'r.html')]);
		expect(noHtml.exitCode).toBe(2);
		expect(noHtml.stderr).toMatch(/--out names where --html writes its page\n\s+fix: add --html/);
		expect(existsSync(path.join(root, 'r.html'))).toBe(false);
	}, 120_000);
});
