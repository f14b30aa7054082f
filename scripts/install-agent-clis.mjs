#!/usr/bin/env node
// Installs the real coding-agent CLIs the end-to-end test runs (test/e2e/),
// at exact pinned versions, into a git-ignored cache: .cache/agent-clis/
// (override with PROOFLOOP_AGENT_CLIS_DIR). Only what is missing or at another
// version is installed, so running it again costs a few `--version` calls.
//
//   node scripts/install-agent-clis.mjs                 # every pinned CLI
//   node scripts/install-agent-clis.mjs claude codex    # only these
//
// The pins are versions verified headless against a loopback fake model
// server (test/e2e/model-server.ts). All three ship their code inside npm
// packages (claude and codex a native binary in a platform package), so they
// install from the npm registry alone. claude 2.1.330 declares
// engines.node >=22 but runs on node 20 (verified), hence --engine-strict=false.
import {spawnSync} from 'node:child_process';
import {existsSync, mkdirSync, readFileSync} from 'node:fs';
import path from 'node:path';
import {fileURLToPath} from 'node:url';

export const PINNED = {
	claude: {pkg: '@anthropic-ai/claude-code', version: '2.1.330'},
	codex: {pkg: '@openai/codex', version: '0.169.0'},
	gemini: {pkg: '@google/gemini-cli', version: '0.61.0'},
	opencode: {pkg: 'opencode-ai', version: '1.18.33'},
};

const root = fileURLToPath(new URL('..', import.meta.url));
export const cacheDir = path.resolve(process.env.PROOFLOOP_AGENT_CLIS_DIR ?? path.join(root, '.cache', 'agent-clis'));
export const binPath = name => path.join(cacheDir, 'node_modules', '.bin', name);

/** The installed version of a CLI if it is the pinned one and its binary answers --version; else why not. */
export function check(name) {
	const {pkg, version} = PINNED[name];
	const manifest = path.join(cacheDir, 'node_modules', ...pkg.split('/'), 'package.json');
	if (!existsSync(manifest)) return {ok: false, why: 'not installed'};
	const installed = JSON.parse(readFileSync(manifest, 'utf8')).version;
	if (installed !== version) return {ok: false, why: `version ${installed} installed, ${version} pinned`};
	const bin = binPath(name);
	if (!existsSync(bin)) return {ok: false, why: `${bin} is missing`};
	// HOME inside the cache: `codex --version` and `gemini --version` leave state dirs in it.
	const home = path.join(cacheDir, 'home');
	mkdirSync(home, {recursive: true});
	const env = {...process.env, HOME: home, NO_COLOR: '1'};
	delete env.CODEX_HOME;
	delete env.CLAUDE_CONFIG_DIR;
	const run = spawnSync(bin, ['--version'], {encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 60_000, env});
	const said = `${run.stdout ?? ''}${run.stderr ?? ''}`.trim();
	if (run.status !== 0 || !said.includes(version)) {
		return {
			ok: false,
			why: `\`${name} --version\` ${run.error ? `failed: ${run.error.message}` : `exited ${run.status}`}: ${said.split('\n').slice(-3).join(' | ') || '(no output)'}`,
		};
	}
	return {ok: true, version: said.split('\n')[0]};
}

/**
 * opencode installs @opencode-ai/plugin into its config directory on every
 * start, from registry.npmjs.org, unless it is there already (no setting turns
 * it off in 1.18.33). The e2e test copies this seed into its config directory.
 */
export const opencodeConfigSeed = path.join(cacheDir, 'opencode-config');

function seedOpencodeConfig() {
	if (existsSync(path.join(opencodeConfigSeed, 'node_modules', '@opencode-ai', 'plugin', 'package.json'))) return;
	npmInstall([`@opencode-ai/plugin@${PINNED.opencode.version}`], opencodeConfigSeed);
}

function npmInstall(specs, prefix = cacheDir) {
	mkdirSync(prefix, {recursive: true});
	const args = ['install', '--prefix', prefix, '--save-exact', '--no-audit', '--no-fund', '--engine-strict=false', '--ignore-scripts=false', ...specs];
	console.log(`install-agent-clis: npm ${args.join(' ')}`);
	const run = spawnSync('npm', args, {stdio: 'inherit', env: process.env});
	if (run.status !== 0) throw new Error(`npm install exited ${run.status ?? run.signal}${run.error ? ` (${run.error.message})` : ''}`);
}

/**
 * claude's postinstall copies the native binary from its platform package
 * over the placeholder bin/claude.exe. An npm that skips install scripts
 * leaves the placeholder; run the package's own install.cjs then.
 */
function repairClaude() {
	const dir = path.join(cacheDir, 'node_modules', '@anthropic-ai', 'claude-code');
	const script = path.join(dir, 'install.cjs');
	if (!existsSync(script)) return;
	console.log(`install-agent-clis: running claude's postinstall (${script})`);
	spawnSync(process.execPath, [script], {cwd: dir, stdio: 'inherit'});
}

export function install(names = Object.keys(PINNED)) {
	for (const name of names) if (!PINNED[name]) throw new Error(`unknown CLI "${name}"; pinned: ${Object.keys(PINNED).join(', ')}`);
	const missing = [];
	for (const name of names) {
		const state = check(name);
		if (state.ok) console.log(`install-agent-clis: ${name} ${PINNED[name].version} present (${state.version}) in ${cacheDir}`);
		else {
			console.log(`install-agent-clis: ${name} ${PINNED[name].version} needed: ${state.why}`);
			missing.push(name);
		}
	}
	if (names.includes('opencode')) seedOpencodeConfig();
	if (missing.length === 0) return;
	npmInstall(missing.map(name => `${PINNED[name].pkg}@${PINNED[name].version}`));
	const broken = [];
	for (const name of missing) {
		let state = check(name);
		if (!state.ok && name === 'claude') {
			repairClaude();
			state = check(name);
		}
		if (state.ok) console.log(`install-agent-clis: ${name} installed: ${state.version}`);
		else broken.push(`${name}: ${state.why}`);
	}
	if (broken.length > 0) throw new Error(`installed but not runnable:\n  ${broken.join('\n  ')}`);
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
	try {
		install(process.argv.slice(2).length > 0 ? process.argv.slice(2) : undefined);
	} catch (error) {
		console.error(`install-agent-clis: ${error instanceof Error ? error.message : String(error)}`);
		process.exit(1);
	}
}
