/**
 * Real CLIs, really run: pinned `claude`, `codex`, `gemini` and `opencode` (installed on
 * demand by scripts/install-agent-clis.mjs into .cache/agent-clis/) run ticket
 * batches headless through `proofloop run --headless`, one as the worker and
 * another as the reviewer, against the scripted model server in
 * ./model-server.ts. The model is scripted; everything else is real: the CLIs
 * read the prompt proofloop gives them, call the server over their own wire
 * protocol, edit files with their own tools in their worktrees, and proofloop
 * parses their real output, runs checks, reviews, merges, verifies and asks
 * the oracle.
 *
 * How the CLIs reach the server (set in the environment of `proofloop run`,
 * which hands its environment to agents):
 * - claude: ANTHROPIC_BASE_URL + a dummy ANTHROPIC_API_KEY; IS_SANDBOX=1
 *   (claude refuses --dangerously-skip-permissions as root without it);
 *   CLAUDE_CONFIG_DIR so nothing lands in ~/.claude.
 * - codex: CODEX_HOME pointing at a config.toml with a model provider whose
 *   base_url is the server (wire_api "responses", a dummy key in
 *   PROOFLOOP_E2E_OPENAI_KEY). codex 0.169 ignores OPENAI_BASE_URL, and its
 *   built-in provider tries a WebSocket five times before falling back to
 *   HTTP; a custom provider speaks plain HTTP SSE at once. CODEX_HOME is kept
 *   out of /tmp (codex refuses to set up its helpers there).
 * - gemini: GOOGLE_GEMINI_BASE_URL + a dummy GEMINI_API_KEY, and
 *   GEMINI_CLI_HOME holding .gemini/settings.json with
 *   security.auth.selectedType "gemini-api-key" (without it a base URL makes
 *   the auth type "gateway" and gemini exits 41, "Invalid auth method").
 * - opencode: OPENCODE_CONFIG_CONTENT points its anthropic provider's baseURL
 *   at the server (the worker's config names the model, `--model
 *   anthropic/claude-sonnet-4-5`); no models.dev fetch, no update, no default
 *   plugins, its XDG dirs in the scratch, and its config dir seeded with the
 *   @opencode-ai/plugin package it would otherwise fetch on every start.
 * - all: HTTP(S)_PROXY / ALL_PROXY = the server, NO_PROXY = loopback. Whatever
 *   a CLI would send elsewhere (telemetry, plugin sync, update checks) reaches
 *   the server instead, is refused and fails the test; the settings that stop
 *   each pinned CLI from trying are below.
 *
 * A CLI that cannot install or start here is skipped with a loud reason,
 * unless PROOFLOOP_E2E_STRICT=1 (CI), where that is a failure.
 */
import {cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import path from 'node:path';
import {fileURLToPath} from 'node:url';
import {execa, execaSync} from 'execa';
import {afterAll, beforeAll, describe, expect, it} from 'vitest';
import type {EngineEvent} from '../../source/core/events.js';
import {listRuns} from '../../source/core/run-dir.js';
import {CLI, runEvents, trailerCount} from '../helpers/repo.js';
// @ts-expect-error: a plain .mjs script without type declarations
import {binPath, check, install, opencodeConfigSeed, PINNED} from '../../scripts/install-agent-clis.mjs';
import {ScriptedModelServer, type ModelRequest, type Session} from './model-server.js';

type CliName = 'claude' | 'codex' | 'gemini' | 'opencode';
const CLIS: CliName[] = ['claude', 'codex', 'gemini', 'opencode'];
const STRICT = process.env['PROOFLOOP_E2E_STRICT'] === '1';
/** PROOFLOOP_E2E_KEEP=1: keep the temp repos and the CLIs' config dirs, and print where they are. */
const KEEP = process.env['PROOFLOOP_E2E_KEEP'] === '1';
const PROTOCOL = {claude: 'anthropic', codex: 'responses', gemini: 'gemini', opencode: 'anthropic'} as const;
/** What each CLI is told to use as its model (codex knows gpt-5.5's metadata, so it offers apply_patch). */
const MODEL = {claude: 'claude-sonnet-4-5', codex: 'gpt-5.5', gemini: 'gemini-2.5-pro', opencode: 'anthropic/claude-sonnet-4-5'} as const;
/** The user-agent each CLI sends: proof of who asked. */
const USER_AGENT = {
	claude: /^claude-cli\/2\.1\.330 /,
	codex: /^codex_exec\/0\.169\.0 /,
	gemini: /^GeminiCLI[^/]*\/0\.61\.0\//,
	opencode: /opencode\/1\.18\.33/,
} as const;

/** Why each CLI cannot run here, if it cannot. */
const unavailable = new Map<CliName, string>();
/** Scratch outside /tmp (CODEX_HOME must not be under it), git-ignored; removed unless a test failed. */
const scratchRoot = fileURLToPath(new URL('../../.cache/e2e/', import.meta.url));
const scratchDirs: string[] = [];
let keepScratch = KEEP;

beforeAll(() => {
	try {
		install(CLIS);
	} catch (error) {
		for (const name of CLIS) unavailable.set(name, `install failed: ${(error as Error).message}`);
	}
	for (const name of CLIS) {
		if (unavailable.has(name)) continue;
		const state = check(name) as {ok: boolean; why?: string};
		if (!state.ok) unavailable.set(name, state.why ?? 'not runnable');
	}
	for (const [name, why] of unavailable) {
		const line = '!'.repeat(100);
		console.error(
			`\n${line}\n!! e2e: the real ${name} CLI (${PINNED[name].pkg}@${PINNED[name].version}) cannot run here: ${why}\n!! the tests that need it are ${STRICT ? 'FAILED (PROOFLOOP_E2E_STRICT=1)' : 'SKIPPED'}\n${line}\n`,
		);
	}
}, 900_000);

afterAll(() => {
	if (!keepScratch) for (const dir of scratchDirs) rmSync(dir, {recursive: true, force: true});
});

/** Skip (loudly, in beforeAll) or fail when a CLI the test needs cannot run. */
function needs(context: {skip: (note?: string) => void}, ...names: CliName[]): void {
	const missing = names.filter(name => unavailable.has(name)).map(name => `${name}: ${unavailable.get(name)}`);
	if (missing.length === 0) return;
	if (STRICT) throw new Error(`real CLIs unavailable (PROOFLOOP_E2E_STRICT=1): ${missing.join('; ')}`);
	context.skip(`real CLIs unavailable: ${missing.join('; ')}`);
}

// ------------------------------------------------------------------ the project the agents work on

/** node check.mjs <part>...: the tiny app's own tests, so a check can really fail. */
const CHECK_MJS = `import {existsSync, readFileSync} from 'node:fs';
const fail = message => {
	console.error('check failed: ' + message);
	process.exit(1);
};
const load = async file => {
	if (!existsSync(file)) fail(file + ' is missing');
	return import(new URL(file, import.meta.url).href);
};
for (const part of process.argv.slice(2)) {
	if (part === 'add') {
		const {add} = await load('./src/add.mjs');
		if (add(2, 3) !== 5 || add(-1, 1) !== 0) fail('add(2, 3) must be 5 and add(-1, 1) must be 0');
	} else if (part === 'greet') {
		const {greet} = await load('./src/greet.mjs');
		if (greet('Ada') !== 'Hello, Ada!') fail('greet("Ada") must be "Hello, Ada!", got ' + JSON.stringify(greet('Ada')));
	} else if (part === 'docs') {
		if (!existsSync('./docs/USAGE.md')) fail('docs/USAGE.md is missing');
		const text = readFileSync('./docs/USAGE.md', 'utf8');
		if (!text.includes('add(') || !text.includes('greet(')) fail('docs/USAGE.md must show add( and greet(');
	} else if (part === 'shout') {
		const {shout} = await load('./src/shout.mjs');
		if (shout('hi there') !== 'HI THERE!') fail('shout("hi there") must be "HI THERE!", got ' + JSON.stringify(shout('hi there')));
	} else if (part === 'slug') {
		const {slug} = await load('./src/slug.mjs');
		if (slug('Hello World') !== 'hello-world') fail('slug("Hello World") must be "hello-world", got ' + JSON.stringify(slug('Hello World')));
	} else fail('unknown part ' + part);
}
console.log('check ok: ' + process.argv.slice(2).join(' '));
`;

type TicketSpec = {id: string; title: string; body: string; part: string; deps?: string[]};

function ticketFile(t: TicketSpec): string {
	return [
		'---',
		`id: ${t.id}`,
		`title: ${t.title}`,
		'status: todo',
		'batch: e2e',
		`deps: [${(t.deps ?? []).join(', ')}]`,
		`checks: ["node check.mjs ${t.part}"]`,
		`verify: ["node check.mjs ${t.part}"]`,
		'---',
		t.body,
		'',
	].join('\n');
}

type Project = {root: string; scratch: string; env: Record<string, string>};

const agent = (name: CliName) => ({type: name, bin: binPath(name), model: MODEL[name]});

/** A temp git repo (main) with the tiny app, the tickets and a config naming the real CLIs. */
function makeProject(opts: {
	worker: CliName;
	reviewer: CliName;
	tickets: TicketSpec[];
	server: ScriptedModelServer;
	config?: Record<string, unknown>;
}): Project {
	const root = mkdtempSync(path.join(tmpdir(), 'pl-e2e-'));
	mkdirSync(scratchRoot, {recursive: true});
	const scratch = mkdtempSync(path.join(scratchRoot, 'run-'));
	scratchDirs.push(scratch);
	const git = (...args: string[]) => execaSync('git', args, {cwd: root});
	git('init', '-q', '-b', 'main');
	git('config', 'user.name', 'e2e');
	git('config', 'user.email', 'e2e@example.invalid');
	writeFileSync(path.join(root, 'package.json'), `${JSON.stringify({name: 'tiny-app', private: true, type: 'module'}, null, 2)}\n`);
	writeFileSync(path.join(root, 'README.md'), '# tiny-app\n\nA few small modules under src/, tested by `node check.mjs <part>`.\n');
	writeFileSync(path.join(root, 'check.mjs'), CHECK_MJS);
	writeFileSync(path.join(root, '.gitignore'), '.proofloop/runs/\n.proofloop/worktrees/\n');
	mkdirSync(path.join(root, '.proofloop', 'tickets'), {recursive: true});
	const config = {
		batch: 'e2e',
		concurrency: 3,
		attempts: 3,
		reviewRounds: 2,
		attemptTimeoutSeconds: 240,
		checkTimeoutSeconds: 60,
		verifyRetries: 0,
		agent: agent(opts.worker),
		reviewer: agent(opts.reviewer),
		...opts.config,
	};
	writeFileSync(path.join(root, '.proofloop', 'config.json'), `${JSON.stringify(config, null, 2)}\n`);
	for (const t of opts.tickets) writeFileSync(path.join(root, '.proofloop', 'tickets', `${t.id}.md`), ticketFile(t));
	git('add', '-A');
	git('commit', '-q', '-m', 'tiny-app');

	const codexHome = path.join(scratch, 'codex-home');
	mkdirSync(codexHome, {recursive: true});
	writeFileSync(
		path.join(codexHome, 'config.toml'),
		[
			'model_provider = "e2e"',
			'',
			'[model_providers.e2e]',
			'name = "proofloop e2e scripted model server"',
			`base_url = "${opts.server.url}/v1"`,
			'wire_api = "responses"',
			'env_key = "PROOFLOOP_E2E_OPENAI_KEY"',
			'request_max_retries = 0',
			'stream_max_retries = 0',
			'',
			// Without these codex 0.169 reaches out on its own: plugins (github.com by git, api.github.com,
			// chatgpt.com), analytics (ab.chatgpt.com). The proxy below would refuse them and fail the test.
			'[features]',
			'plugins = false',
			'',
			'[analytics]',
			'enabled = false',
			'',
		].join('\n'),
	);
	const claudeConfig = path.join(scratch, 'claude-config');
	mkdirSync(claudeConfig, {recursive: true});
	const geminiHome = path.join(scratch, 'gemini-home');
	mkdirSync(path.join(geminiHome, '.gemini'), {recursive: true});
	// usageStatisticsEnabled: otherwise gemini 0.61 sends usage statistics to play.googleapis.com.
	writeFileSync(
		path.join(geminiHome, '.gemini', 'settings.json'),
		`${JSON.stringify({security: {auth: {selectedType: 'gemini-api-key'}}, privacy: {usageStatisticsEnabled: false}}, null, 2)}\n`,
	);

	// opencode's plugin package, installed ahead: else it fetches it from registry.npmjs.org on every start.
	if (existsSync(opencodeConfigSeed)) cpSync(opencodeConfigSeed as string, path.join(scratch, 'xdg-config', 'opencode'), {recursive: true});

	// Nothing of the outer agents' or models' settings may leak in: dummy keys only.
	const env: Record<string, string> = {};
	for (const [key, value] of Object.entries(process.env)) {
		if (value === undefined || /^(ANTHROPIC_|CLAUDE_|OPENAI_|CODEX_|GEMINI_|GOOGLE_|PROOFLOOP_|VITEST|IS_SANDBOX$|(HTTPS?|ALL|NO)_PROXY$)/i.test(key)) continue;
		env[key] = value;
	}
	Object.assign(env, {
		NO_COLOR: '1',
		IS_SANDBOX: '1',
		ANTHROPIC_BASE_URL: opts.server.url,
		ANTHROPIC_API_KEY: 'sk-ant-e2e-dummy',
		CLAUDE_CONFIG_DIR: claudeConfig,
		// Otherwise claude 2.1.330 calls api.anthropic.com itself (besides the base URL).
		CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1',
		DISABLE_AUTOUPDATER: '1',
		CODEX_HOME: codexHome,
		PROOFLOOP_E2E_OPENAI_KEY: 'sk-e2e-dummy',
		GOOGLE_GEMINI_BASE_URL: opts.server.url,
		GEMINI_API_KEY: 'gemini-e2e-dummy',
		GEMINI_CLI_HOME: geminiHome,
		// opencode: its anthropic provider pointed at the server, no models.dev fetch, no update, its dirs in the scratch.
		OPENCODE_CONFIG_CONTENT: JSON.stringify({
			provider: {anthropic: {options: {baseURL: `${opts.server.url}/v1`, apiKey: 'sk-ant-e2e-dummy'}}},
			autoupdate: false,
			share: 'disabled',
		}),
		OPENCODE_DISABLE_MODELS_FETCH: '1',
		// Otherwise opencode 1.18.33 asks registry.npmjs.org for its default plugins.
		OPENCODE_DISABLE_DEFAULT_PLUGINS: '1',
		OPENCODE_DISABLE_LSP_DOWNLOAD: '1',
		OPENCODE_DISABLE_AUTOUPDATE: '1',
		XDG_CONFIG_HOME: path.join(scratch, 'xdg-config'),
		XDG_DATA_HOME: path.join(scratch, 'xdg-data'),
		XDG_STATE_HOME: path.join(scratch, 'xdg-state'),
		XDG_CACHE_HOME: path.join(scratch, 'xdg-cache'),
		// Nothing leaves loopback: whatever a CLI would send elsewhere goes to the server, which refuses it.
		HTTP_PROXY: opts.server.proxyUrl,
		HTTPS_PROXY: opts.server.proxyUrl,
		ALL_PROXY: opts.server.proxyUrl,
		http_proxy: opts.server.proxyUrl,
		https_proxy: opts.server.proxyUrl,
		all_proxy: opts.server.proxyUrl,
		NO_PROXY: '127.0.0.1,localhost,::1',
		no_proxy: '127.0.0.1,localhost,::1',
	});
	return {root, scratch, env};
}

/** A passing test's repo goes away, unless PROOFLOOP_E2E_KEEP=1. */
function done(project: Project): void {
	if (KEEP) console.log(`kept: repo ${project.root}, scratch ${project.scratch}`);
	else rmSync(project.root, {recursive: true, force: true});
}

const proofloop = (project: Project, args: string[]) =>
	execa(process.execPath, [CLI, ...args], {cwd: project.root, env: project.env, extendEnv: false, reject: false, stdin: 'ignore', timeout: 600_000});

const showOnMain = async (root: string, file: string): Promise<string | undefined> => {
	const result = await execa('git', ['show', `main:${file}`], {cwd: root, reject: false});
	return result.exitCode === 0 ? result.stdout : undefined;
};

/** Route a model request: the ticket's own `id:` line in the prompt; the role from which CLI asks. */
const router =
	(worker: CliName) =>
	(request: ModelRequest): string | undefined => {
		const id = /^id: (E2E-[A-Z]+)$/m.exec(request.prompt)?.[1];
		if (!id) return undefined;
		return `${request.protocol === PROTOCOL[worker] ? 'worker' : 'reviewer'}:${id}`;
	};

/** When the test fails: keep the repo and the CLIs' homes, and print proofloop's output, the server's log and the attempt logs. */
function explainFailure(
	context: {onTestFailed: (fn: () => void) => void},
	project: Project,
	server: ScriptedModelServer,
	result: {stdout: unknown; stderr: unknown},
): void {
	context.onTestFailed(() => {
		keepScratch = true;
		console.error(diagnose(project, server, `${String(result.stdout)}\n${String(result.stderr)}`));
	});
}

function diagnose(project: Project, server: ScriptedModelServer, output: string): string {
	const logs: string[] = [];
	const run = listRuns(project.root)[0];
	if (run) {
		const dir = path.join(run.dir, 'logs');
		if (existsSync(dir)) {
			for (const line of execaSync('find', [dir, '-type', 'f'], {reject: false}).stdout.split('\n').filter(Boolean)) {
				logs.push(`--- ${line}\n${readFileSync(line, 'utf8').slice(-3000)}`);
			}
		}
	}
	return [
		`repo: ${project.root}  scratch: ${project.scratch}`,
		'=== proofloop output',
		output.slice(-6000),
		'=== model server requests',
		...server.requests.map(r => `${r.method} ${r.path} [${r.kind}${r.script ? ` ${r.script} s${r.session} t${r.turn}` : ''}] ${r.userAgent} ${r.answer ?? ''}`),
		'=== model server problems',
		...server.problems,
		'=== attempt logs',
		...logs,
	].join('\n');
}

const reviewResults = (events: EngineEvent[], ticket: string) =>
	events.flatMap(e => (e.type === 'review.result' && e.ticket === ticket ? [{verdict: e.verdict, findings: e.findings}] : []));

// ------------------------------------------------------------------ the tests

describe('real CLIs, really run (pinned claude, codex, gemini and opencode against a scripted model server)', () => {
	it('claude works three tickets, codex reviews them, everything merges and the oracle says done', async context => {
		needs(context, 'claude', 'codex');
		const ADD = 'export function add(a, b) {\n\treturn a + b;\n}\n';
		const GREET = 'export function greet(name) {\n\treturn `Hello, ${name}!`;\n}\n';
		const USAGE =
			"# Usage\n\n```js\nimport {add} from './src/add.mjs';\nimport {greet} from './src/greet.mjs';\nadd(2, 3); // 5\ngreet('Ada'); // 'Hello, Ada!'\n```\n";
		const approve = (what: string, content: string): Session => [
			// The reviewer looks at the change with its own shell tool in its checkout, then ends with the verdict JSON.
			{shell: `git log --oneline -1 && cat ${what}`},
			request =>
				request.toolResults[0]?.includes(content.split('\n')[0]!)
					? {text: `I read ${what}: it does what the ticket asks and nothing else.\n\n{"verdict": "approve"}`}
					: {
							text: JSON.stringify({
								verdict: 'changes',
								findings: [`the reviewer's checkout does not hold ${what}: ${request.toolResults[0] ?? '(no tool result)'}`],
							}),
						},
		];
		const server = await ScriptedModelServer.start({
			route: router('claude'),
			scripts: {
				// claude's own Write tool, then its Bash tool to run the check, then the final answer.
				'worker:E2E-ADD': [[{write: 'src/add.mjs', content: ADD}, {shell: 'node check.mjs add'}, {text: 'Added src/add.mjs; `node check.mjs add` passes.'}]],
				'worker:E2E-GREET': [[{write: 'src/greet.mjs', content: GREET}, {text: 'Added src/greet.mjs.'}]],
				// The file written through the shell this time.
				'worker:E2E-DOCS': [
					[{shell: `mkdir -p docs && cat > docs/USAGE.md <<'EOF'\n${USAGE}EOF\nnode check.mjs add greet docs`}, {text: 'Wrote docs/USAGE.md.'}],
				],
				'reviewer:E2E-ADD': [approve('src/add.mjs', ADD)],
				'reviewer:E2E-GREET': [approve('src/greet.mjs', GREET)],
				'reviewer:E2E-DOCS': [approve('docs/USAGE.md', USAGE)],
			},
		});
		try {
			const project = makeProject({
				worker: 'claude',
				reviewer: 'codex',
				server,
				tickets: [
					{id: 'E2E-ADD', title: 'Add an add() module', part: 'add', body: 'Create src/add.mjs exporting `add(a, b)`, which returns a + b.'},
					{
						id: 'E2E-GREET',
						title: 'Add a greet() module',
						part: 'greet',
						body: 'Create src/greet.mjs exporting `greet(name)`, which returns "Hello, <name>!".',
					},
					{
						id: 'E2E-DOCS',
						title: 'Document the modules',
						part: 'add greet docs',
						deps: ['E2E-ADD', 'E2E-GREET'],
						body: 'Write docs/USAGE.md showing how to call add( and greet(.',
					},
				],
			});
			const result = await proofloop(project, ['run', '--headless']);
			explainFailure(context, project, server, result);
			expect(result.exitCode).toBe(0);
			expect(server.problems).toEqual([]);

			const events = runEvents(project.root);
			for (const id of ['E2E-ADD', 'E2E-GREET', 'E2E-DOCS']) {
				expect(await trailerCount(project.root, id), id).toBe(1);
				expect(reviewResults(events, id), id).toEqual([{verdict: 'approve', findings: []}]);
				expect(
					events.filter(e => e.type === 'attempt.started' && e.ticket === id),
					id,
				).toHaveLength(1);
				// The worker was claude and the reviewer codex, each through its own protocol, each session played to the end.
				const work = server.mainRequests(`worker:${id}`);
				const review = server.mainRequests(`reviewer:${id}`);
				expect(work.length, id).toBeGreaterThanOrEqual(2);
				expect(review, id).toHaveLength(2);
				for (const r of work) expect(r.userAgent, id).toMatch(USER_AGENT.claude);
				for (const r of review) expect(r.userAgent, id).toMatch(USER_AGENT.codex);
				expect(
					work.some(r => r.tools?.includes('Write') && r.tools.includes('Bash')),
					id,
				).toBe(true);
			}
			// The files the CLIs wrote, merged on main.
			expect(await showOnMain(project.root, 'src/add.mjs')).toBe(ADD.trimEnd());
			expect(await showOnMain(project.root, 'src/greet.mjs')).toBe(GREET.trimEnd());
			expect(await showOnMain(project.root, 'docs/USAGE.md')).toBe(USAGE.trimEnd());
			// claude's own accounting reached the event log: tokens and its cost estimate.
			for (const e of events) if (e.type === 'agent.exited') expect(e.usage.inputTokens > 0 && e.usage.costUsd > 0, JSON.stringify(e)).toBe(true);

			const oracle = await proofloop(project, ['oracle']);
			expect(oracle.exitCode, `${oracle.stdout}\n${oracle.stderr}`).toBe(0);
			done(project);
		} finally {
			console.log(`model server, what the CLIs asked:\n  ${server.summary().join('\n  ')}`);
			await server.close();
		}
	});

	it('a codex worker gets the claude reviewer\'s "changes" finding in its next attempt\'s prompt, fixes it, and the ticket merges', async context => {
		needs(context, 'claude', 'codex');
		const FINDING = 'src/slug.mjs: slug() keeps runs of spaces as several dashes (slug("a  b") is "a--b"); split on /\\s+/ after trim().';
		const NAIVE = "export function slug(text) {\n\treturn text.toLowerCase().split(' ').join('-');\n}\n";
		const FIXED = "export function slug(text) {\n\treturn text.trim().toLowerCase().split(/\\s+/).join('-');\n}\n";
		/** Did the real codex send the finding to the model in its second attempt? */
		let findingReachedModel = false;
		const server = await ScriptedModelServer.start({
			route: router('codex'),
			scripts: {
				'worker:E2E-SLUG': [
					// Attempt 1: codex's apply_patch (a custom tool call) adds a naive slug(); the check passes.
					[{write: 'src/slug.mjs', content: NAIVE}, {shell: 'node check.mjs slug'}, {text: 'Added src/slug.mjs.'}],
					// Attempt 2: the prompt carries the finding; the fix goes through codex's shell tool.
					[
						request => {
							findingReachedModel = request.prompt.includes(FINDING);
							return {shell: `mkdir -p src && cat > src/slug.mjs <<'EOF'\n${FIXED}EOF\nnode check.mjs slug`};
						},
						{text: 'Fixed slug() as the review asked.'},
					],
				],
				'reviewer:E2E-SLUG': [
					[
						{shell: 'cat src/slug.mjs'},
						{text: `The split on a single space keeps empty words.\n\n${JSON.stringify({verdict: 'changes', findings: [FINDING]})}`},
					],
					[{shell: 'cat src/slug.mjs'}, {text: 'Runs of whitespace collapse now.\n\n{"verdict": "approve"}'}],
				],
			},
		});
		try {
			const project = makeProject({
				worker: 'codex',
				reviewer: 'claude',
				server,
				tickets: [
					{
						id: 'E2E-SLUG',
						title: 'Add a slug() module',
						part: 'slug',
						body: 'Create src/slug.mjs exporting `slug(text)`: lower case, words joined by "-", whitespace runs collapsed.',
					},
				],
			});
			const result = await proofloop(project, ['run', '--headless']);
			explainFailure(context, project, server, result);
			expect(result.exitCode).toBe(0);
			expect(server.problems).toEqual([]);

			const events = runEvents(project.root);
			expect(reviewResults(events, 'E2E-SLUG')).toEqual([
				{verdict: 'changes', findings: [FINDING]},
				{verdict: 'approve', findings: []},
			]);
			expect(events.find(e => e.type === 'attempt.failed' && e.ticket === 'E2E-SLUG')).toMatchObject({stage: 'review'});
			const run = listRuns(project.root)[0]!;
			expect(run.promptFile('E2E-SLUG', 2)).toBe(path.join(run.dir, 'prompts', 'E2E-SLUG', '2.md'));
			expect(readFileSync(run.promptFile('E2E-SLUG', 2), 'utf8')).toContain(FINDING);
			expect(readFileSync(run.promptFile('E2E-SLUG', 1), 'utf8')).not.toContain(FINDING);
			expect(findingReachedModel, 'codex sent the finding to the model in attempt 2').toBe(true);
			for (const r of server.mainRequests('worker:E2E-SLUG')) expect(r.userAgent).toMatch(USER_AGENT.codex);
			for (const r of server.mainRequests('reviewer:E2E-SLUG')) expect(r.userAgent).toMatch(USER_AGENT.claude);
			expect(server.sessionCount('worker:E2E-SLUG')).toBe(2);
			// codex reports tokens, never a cost.
			const exits = events.filter(e => e.type === 'agent.exited');
			expect(exits).toHaveLength(2);
			for (const e of exits) if (e.type === 'agent.exited') expect(e.usage).toMatchObject({inputTokens: expect.any(Number), costUsd: 0});
			for (const e of exits) if (e.type === 'agent.exited') expect(e.usage.inputTokens).toBeGreaterThan(0);
			expect(server.sessionCount('reviewer:E2E-SLUG')).toBe(2);

			expect(await trailerCount(project.root, 'E2E-SLUG')).toBe(1);
			expect(await showOnMain(project.root, 'src/slug.mjs')).toBe(FIXED.trimEnd());
			const oracle = await proofloop(project, ['oracle']);
			expect(oracle.exitCode, `${oracle.stdout}\n${oracle.stderr}`).toBe(0);
			done(project);
		} finally {
			console.log(`model server, what the CLIs asked:\n  ${server.summary().join('\n  ')}`);
			await server.close();
		}
	});

	it('gemini works a ticket with its own write_file and shell tools, claude approves it, and it merges', async context => {
		needs(context, 'gemini', 'claude');
		const SHOUT = 'export function shout(text) {\n\treturn `${text.toUpperCase()}!`;\n}\n';
		const server = await ScriptedModelServer.start({
			route: router('gemini'),
			scripts: {
				'worker:E2E-SHOUT': [[{write: 'src/shout.mjs', content: SHOUT}, {shell: 'node check.mjs shout'}, {text: 'Added src/shout.mjs; the check passes.'}]],
				'reviewer:E2E-SHOUT': [[{shell: 'cat src/shout.mjs'}, {text: 'Correct and in scope.\n\n{"verdict": "approve"}'}]],
			},
		});
		try {
			const project = makeProject({
				worker: 'gemini',
				reviewer: 'claude',
				server,
				tickets: [
					{
						id: 'E2E-SHOUT',
						title: 'Add a shout() module',
						part: 'shout',
						body: 'Create src/shout.mjs exporting `shout(text)`: the text in upper case, then "!".',
					},
				],
			});
			const result = await proofloop(project, ['run', '--headless']);
			explainFailure(context, project, server, result);
			expect(result.exitCode).toBe(0);
			expect(server.problems).toEqual([]);
			const events = runEvents(project.root);
			expect(reviewResults(events, 'E2E-SHOUT')).toEqual([{verdict: 'approve', findings: []}]);
			const exit = events.find(e => e.type === 'agent.exited');
			expect(exit?.type === 'agent.exited' && exit.ok && exit.usage.inputTokens > 0, JSON.stringify(exit)).toBe(true);
			const work = server.mainRequests('worker:E2E-SHOUT');
			expect(work.map(r => r.turn)).toEqual([1, 2, 3]);
			for (const r of work) expect(r.userAgent).toMatch(USER_AGENT.gemini);
			expect(work[0]?.tools).toEqual(expect.arrayContaining(['write_file', 'run_shell_command']));
			for (const r of server.mainRequests('reviewer:E2E-SHOUT')) expect(r.userAgent).toMatch(USER_AGENT.claude);
			expect(await trailerCount(project.root, 'E2E-SHOUT')).toBe(1);
			expect(await showOnMain(project.root, 'src/shout.mjs')).toBe(SHOUT.trimEnd());
			const oracle = await proofloop(project, ['oracle']);
			expect(oracle.exitCode, `${oracle.stdout}\n${oracle.stderr}`).toBe(0);
			done(project);
		} finally {
			console.log(`model server, what the CLIs asked:\n  ${server.summary().join('\n  ')}`);
			await server.close();
		}
	});

	it("proofloop plan with claude planning and codex reviewing: a lint refusal and its fix round, a review's change request, then the planned batch runs to oracle 0", async context => {
		needs(context, 'claude', 'codex');
		const ADD = 'export function add(a, b) {\n\treturn a + b;\n}\n';
		const GREET = 'export function greet(name) {\n\treturn `Hello, ${name}!`;\n}\n';
		const USAGE = "# Usage\n\n```js\nadd(2, 3); // 5\ngreet('Ada'); // 'Hello, Ada!'\n```\n";
		const master = {
			title: 'add(), greet() and their usage docs',
			requirement: 'tiny-app has add(a, b) and greet(name), and docs/USAGE.md shows both.',
			context: ['check.mjs checks each part: node check.mjs add, greet, docs'],
			acceptance: ['node check.mjs add greet docs passes on main'],
			angles: ['how check.mjs checks a part'],
			checks: ['node check.mjs add greet docs'],
		};
		const ticket = (key: string, file: string, acceptance: string[]) => ({
			key,
			title: `Add a ${key}() module`,
			scope: `Create ${file} exporting ${key}().`,
			acceptance,
			files: [{path: file, create: true}],
			deps: [],
			locks: [],
			testPlan: [`node check.mjs ${key}`],
			checks: [`node check.mjs ${key}`],
			openQuestions: [],
		});
		const LINT = 'add: it has no acceptance criteria';
		const FINDING = 'greet: name the exact greeting in its acceptance: greet("Ada") is "Hello, Ada!"';
		const seen = {lint: false, finding: false};
		const breakdown = (acceptAdd: string[], acceptGreet: string[]) => ({
			tickets: [ticket('add', 'src/add.mjs', acceptAdd), ticket('greet', 'src/greet.mjs', acceptGreet)],
		});
		const server = await ScriptedModelServer.start({
			route: request => {
				const id = /^id: (T-\d+)$/m.exec(request.prompt)?.[1];
				if (id) return `${request.protocol === PROTOCOL.claude ? 'worker' : 'reviewer'}:${id}`;
				const round = /breakdown round (\d+) of/.exec(request.prompt)?.[1];
				if (round) return `planner:breakdown-${round}`;
				const review = /review round (\d+)\s+of/.exec(request.prompt)?.[1];
				if (review) return `plan-reviewer:review-${review}`;
				if (/You are one researcher/.test(request.prompt)) return 'researcher';
				if (/Write the master ticket/.test(request.prompt)) return 'planner:master';
				return undefined;
			},
			scripts: {
				// The planner skims the repository with its shell tool, read-only, then answers.
				'planner:master': [[{shell: 'ls && head -12 check.mjs'}, {text: `The master ticket.\n\n${JSON.stringify(master)}`}]],
				researcher: [
					[
						{shell: 'grep -n "part ===" check.mjs'},
						{text: JSON.stringify({angle: master.angles[0], findings: [{text: 'each part is one branch of check.mjs', cites: ['check.mjs:10']}]})},
					],
				],
				// Round 1 forgets add's acceptance: the readiness lint refuses it.
				'planner:breakdown-1': [[{text: JSON.stringify(breakdown([], ['greet() greets']))}]],
				'planner:breakdown-2': [
					[
						request => {
							seen.lint = request.prompt.includes(LINT);
							return {text: JSON.stringify(breakdown(['add(2, 3) is 5'], ['greet() greets']))};
						},
					],
				],
				'plan-reviewer:review-2': [[{shell: 'ls'}, {text: `One ticket is vague.\n\n${JSON.stringify({verdict: 'changes', findings: [FINDING]})}`}]],
				'planner:breakdown-3': [
					[
						request => {
							seen.finding = request.prompt.includes(FINDING);
							return {text: JSON.stringify(breakdown(['add(2, 3) is 5'], ['greet("Ada") is "Hello, Ada!"']))};
						},
					],
				],
				'plan-reviewer:review-3': [[{text: 'Ready.\n\n{"verdict": "approve"}'}]],
				// The planned batch: T-1 the master (last), T-2 add, T-3 greet.
				'worker:T-2': [[{write: 'src/add.mjs', content: ADD}, {text: 'Added src/add.mjs.'}]],
				'worker:T-3': [[{write: 'src/greet.mjs', content: GREET}, {text: 'Added src/greet.mjs.'}]],
				'worker:T-1': [[{shell: `mkdir -p docs && cat > docs/USAGE.md <<'EOF'\n${USAGE}EOF\nnode check.mjs add greet docs`}, {text: 'Wrote docs/USAGE.md.'}]],
				'reviewer:T-1': [[{text: '{"verdict": "approve"}'}]],
				'reviewer:T-2': [[{text: '{"verdict": "approve"}'}]],
				'reviewer:T-3': [[{text: '{"verdict": "approve"}'}]],
			},
		});
		try {
			const project = makeProject({worker: 'claude', reviewer: 'codex', server, tickets: [], config: {plan: {planner: agent('claude'), researchers: 1}}});
			const planned = await proofloop(project, ['plan', 'tiny-app needs add() and greet() modules.', 'Document both in docs/USAGE.md.']);
			explainFailure(context, project, server, planned);
			expect(planned.exitCode).toBe(0);
			expect(planned.stdout).toMatch(/readiness lint refused 1 of 2 ticket\(s\):\n\s+add: it has no acceptance criteria/);
			expect(planned.stdout).toMatch(/review: changes\n\s+greet: name the exact greeting/);
			expect(planned.stdout).toMatch(/plan written .*batch e2e/);
			expect(seen).toEqual({lint: true, finding: true});
			for (const r of server.mainRequests('planner:master')) expect(r.userAgent).toMatch(USER_AGENT.claude);
			for (const r of server.mainRequests('plan-reviewer:review-2')) expect(r.userAgent).toMatch(USER_AGENT.codex);
			const master1 = readFileSync(path.join(project.root, '.proofloop', 'tickets', 'T-1.md'), 'utf8');
			expect(master1).toMatch(/deps: \[T-2, T-3\]/);
			expect(readFileSync(path.join(project.root, '.proofloop', 'tickets', 'T-3.md'), 'utf8')).toMatch(/- greet\("Ada"\) is "Hello, Ada!"/);

			const result = await proofloop(project, ['run', '--headless']);
			explainFailure(context, project, server, result);
			expect(result.exitCode).toBe(0);
			expect(server.problems).toEqual([]);
			expect(await showOnMain(project.root, 'docs/USAGE.md')).toBe(USAGE.trimEnd());
			const oracle = await proofloop(project, ['oracle']);
			expect(oracle.exitCode, `${oracle.stdout}\n${oracle.stderr}`).toBe(0);
			done(project);
		} finally {
			console.log(`model server, what the CLIs asked:\n  ${server.summary().join('\n  ')}`);
			await server.close();
		}
	});

	it('opencode works a ticket with its model flag and its own tools, codex approves it, and it merges', async context => {
		needs(context, 'opencode', 'codex');
		const SHOUT = 'export function shout(text) {\n\treturn `${text.toUpperCase()}!`;\n}\n';
		const server = await ScriptedModelServer.start({
			route: router('opencode'),
			scripts: {
				'worker:E2E-SHOUT': [[{write: 'src/shout.mjs', content: SHOUT}, {shell: 'node check.mjs shout'}, {text: 'Added src/shout.mjs; the check passes.'}]],
				'reviewer:E2E-SHOUT': [[{shell: 'cat src/shout.mjs'}, {text: 'Correct and in scope.\n\n{"verdict": "approve"}'}]],
			},
		});
		try {
			const project = makeProject({
				worker: 'opencode',
				reviewer: 'codex',
				server,
				tickets: [
					{
						id: 'E2E-SHOUT',
						title: 'Add a shout() module',
						part: 'shout',
						body: 'Create src/shout.mjs exporting `shout(text)`: the text in upper case, then "!".',
					},
				],
			});
			const result = await proofloop(project, ['run', '--headless']);
			explainFailure(context, project, server, result);
			expect(result.exitCode).toBe(0);
			expect(server.problems).toEqual([]);
			const work = server.mainRequests('worker:E2E-SHOUT');
			// opencode asked for the model its --model flag named, through its anthropic provider.
			for (const r of work) expect(r.userAgent).toMatch(USER_AGENT.opencode);
			for (const r of work) expect(r.model).toBe('claude-sonnet-4-5');
			const events = runEvents(project.root);
			expect(reviewResults(events, 'E2E-SHOUT')).toEqual([{verdict: 'approve', findings: []}]);
			expect(await trailerCount(project.root, 'E2E-SHOUT')).toBe(1);
			expect(await showOnMain(project.root, 'src/shout.mjs')).toBe(SHOUT.trimEnd());
			const oracle = await proofloop(project, ['oracle']);
			expect(oracle.exitCode, `${oracle.stdout}\n${oracle.stderr}`).toBe(0);
			done(project);
		} finally {
			console.log(`model server, what the CLIs asked:\n  ${server.summary().join('\n  ')}`);
			await server.close();
		}
	});

	it('the escalation ladder: the cheap profile (codex) fails the check, the strong one (claude) passes; the report attributes each attempt to its profile', async context => {
		needs(context, 'claude', 'codex');
		const WRONG = 'export function add(a, b) {\n\treturn a - b;\n}\n';
		const ADD = 'export function add(a, b) {\n\treturn a + b;\n}\n';
		const server = await ScriptedModelServer.start({
			// Both are workers here: which rung asked is which protocol.
			route: request => {
				const id = /^id: (E2E-[A-Z]+)$/m.exec(request.prompt)?.[1];
				return id ? `${request.protocol === PROTOCOL.codex ? 'cheap' : 'strong'}:${id}` : undefined;
			},
			scripts: {
				'cheap:E2E-ADD': [[{write: 'src/add.mjs', content: WRONG}, {text: 'Added src/add.mjs.'}]],
				'strong:E2E-ADD': [[{write: 'src/add.mjs', content: ADD}, {shell: 'node check.mjs add'}, {text: 'Fixed add(); the check passes.'}]],
			},
		});
		try {
			const project = makeProject({
				worker: 'claude',
				reviewer: 'codex',
				server,
				tickets: [{id: 'E2E-ADD', title: 'Add an add() module', part: 'add', body: 'Create src/add.mjs exporting `add(a, b)`, which returns a + b.'}],
				config: {reviewer: undefined, engines: {cheap: agent('codex'), strong: agent('claude')}, routing: {ladder: ['cheap', 'strong']}},
			});
			const result = await proofloop(project, ['run', '--headless']);
			explainFailure(context, project, server, result);
			expect(result.exitCode).toBe(0);
			expect(server.problems).toEqual([]);
			const events = runEvents(project.root);
			expect(events.flatMap(e => (e.type === 'attempt.failed' && e.ticket === 'E2E-ADD' ? [e.stage] : []))).toEqual(['checks']);
			for (const r of server.mainRequests('cheap:E2E-ADD')) expect(r.userAgent).toMatch(USER_AGENT.codex);
			for (const r of server.mainRequests('strong:E2E-ADD')) expect(r.userAgent).toMatch(USER_AGENT.claude);
			const report = JSON.parse((await proofloop(project, ['report', '--json'])).stdout) as {engines: Array<Record<string, unknown>>};
			expect(report.engines).toEqual([
				expect.objectContaining({profile: 'cheap', agent: 'codex', attempts: 1, failed: 1, done: 0}),
				expect.objectContaining({profile: 'strong', agent: 'claude', attempts: 1, failed: 0, done: 1}),
			]);
			expect(await showOnMain(project.root, 'src/add.mjs')).toBe(ADD.trimEnd());
			done(project);
		} finally {
			console.log(`model server, what the CLIs asked:\n  ${server.summary().join('\n  ')}`);
			await server.close();
		}
	});
});
