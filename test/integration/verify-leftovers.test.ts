import {mkdirSync, readFileSync, writeFileSync} from 'node:fs';
import path from 'node:path';
import {execaSync} from 'execa';
import {describe, expect, it} from 'vitest';
import {probeBwrap} from '../../source/agents/sandbox.js';
import {probeContainment} from '../../source/process/containment.js';
import {makeRepo, runCli, runEvents} from '../helpers/repo.js';

// Verify runs in checkouts the engine reuses (git/verify-checkouts.ts). A later
// ticket's verify must see exactly its merge: nothing an earlier verify, an
// agent, or an orphan either left behind may make it pass.
// test/fixtures/agents/verify-planter.mjs: ticket A merges a test that plants
// feature.txt (ignored) and an orphan that keeps planting it in every verify
// checkout; ticket B does no work, and its verify passes only if feature.txt exists.

const AGENT = path.resolve('test/fixtures/agents/verify-planter.mjs');
const sandboxed = probeBwrap().ok;

function plantedRepo(sandbox: string): string {
	const {root} = makeRepo({
		tickets: [{id: 'A'}, {id: 'B', deps: ['A'], extra: "verify: ['npm run smoke']"}],
		config: {
			sandbox,
			attempts: 1,
			concurrency: 1,
			selfHeal: {max: 0},
			agent: {type: 'command', command: `node ${AGENT}`},
			checks: ['npm test'],
			verify: ['npm test'],
		},
	});
	writeFileSync(
		path.join(root, 'package.json'),
		JSON.stringify({name: 'x', private: true, scripts: {test: 'node --test test/', smoke: 'node scripts/smoke.mjs'}}, null, 2),
	);
	mkdirSync(path.join(root, 'scripts'));
	mkdirSync(path.join(root, 'test'));
	writeFileSync(path.join(root, 'scripts/smoke.mjs'), "import {existsSync} from 'node:fs';\nprocess.exit(existsSync('feature.txt') ? 0 : 1);\n");
	writeFileSync(path.join(root, 'test/base.test.mjs'), "import {test} from 'node:test';\ntest('base', () => {});\n");
	execaSync('git', ['add', '-A'], {cwd: root});
	execaSync('git', ['commit', '-q', '-m', 'the finish line'], {cwd: root});
	return root;
}

type Mode = [string, string, Record<string, string>];
// Unsandboxed, only containment ends the orphans; with none (group) an orphan outlives its spawn whatever checkout verify uses.
const modes: Mode[] = [
	...(sandboxed ? [['sandboxed', 'auto', {}] as Mode, ['sandboxed, group containment', 'auto', {PROOFLOOP_CONTAINMENT: 'group'}] as Mode] : []),
	...(probeContainment({}).kind === 'group' ? [] : [['unsandboxed', 'none', {}] as Mode]),
];

describe.each(modes)('verify leftovers (%s)', (_name, sandbox, env) => {
	it("a file an earlier verify, an agent or an orphan planted never makes a later ticket's verify pass", {timeout: 180_000}, async () => {
		const root = plantedRepo(sandbox);
		const result = await runCli(root, ['run', '--headless', ...(sandbox === 'none' ? ['--unsandboxed'] : [])], env);
		expect(result.exitCode, result.stdout + result.stderr).not.toBe(0);
		const events = runEvents(root);
		// A's own verify ran its planting test and passed: the leftovers were there to find.
		expect(
			events.find(e => e.type === 'ticket.done' && e.ticket === 'A'),
			result.stdout,
		).toBeDefined();
		expect(
			events.find(e => e.type === 'verify.result' && e.ticket === 'B'),
			result.stdout,
		).toMatchObject({ok: false});
		expect(events.some(e => e.type === 'ticket.done' && e.ticket === 'B')).toBe(false);
		const log = readFileSync(
			path.join(root, '.proofloop', 'runs', execaSync('ls', [path.join(root, '.proofloop', 'runs')]).stdout.split('\n')[0]!, 'logs', 'B', '1.log'),
			'utf8',
		);
		expect(log).toContain('npm run smoke');
		// The run leaves no verify checkout behind.
		expect(execaSync('git', ['worktree', 'list'], {cwd: root}).stdout).not.toContain('.verify');
	});
});
