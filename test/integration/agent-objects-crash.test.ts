import {existsSync, readFileSync, writeFileSync} from 'node:fs';
import path from 'node:path';
import {execa, execaSync} from 'execa';
import {describe, expect, it} from 'vitest';
import {probeBwrap} from '../../source/agents/sandbox.js';
import {listRuns} from '../../source/core/run-dir.js';
import {reapRunProcesses} from '../../source/process/orphans.js';
import {CLI, makeRepo, runCli} from '../helpers/repo.js';

const sleep = (ms: number) => new Promise(resolve => setTimeout(resolve, ms));

describe.skipIf(!probeBwrap().ok)("a sandboxed agent's objects when the engine dies mid-attempt", () => {
	it('the commit it made (in its own store) is not lost: the repository stays whole and a resumed run finishes the ticket', async () => {
		const {root, plan, io} = makeRepo({tickets: [{id: 'H'}], plan: {H: 'commit-hang', _sleepMs: 0}});
		const out = path.join(io, 'agent.jsonl');
		const env = {FAKE_AGENT_PLAN: plan, FAKE_AGENT_OUT: out};
		const engine = execa(process.execPath, [CLI, 'run', '--headless'], {cwd: root, reject: false, env, stdin: 'ignore'});
		const until = Date.now() + 60_000;
		while (!(existsSync(out) && readFileSync(out, 'utf8').includes('committed'))) {
			if (Date.now() > until) throw new Error(`the agent never committed: ${(await engine.catch(e => e)).stderr ?? ''}`);
			await sleep(50);
		}
		const committed = (JSON.parse(readFileSync(out, 'utf8').trim().split('\n')[0]!) as {committed: string}).committed;
		engine.kill('SIGKILL');
		await engine;
		reapRunProcesses(listRuns(root)[0]!.id);
		const git = (...args: string[]) => execaSync('git', args, {cwd: root, reject: false});
		// The branch names the agent's commit; the repository must hold it (else fsck and gc fail on it).
		expect(git('rev-parse', 'refs/heads/proofloop/H').stdout).toBe(committed);
		writeFileSync(plan, JSON.stringify({H: 'ok', _sleepMs: 0}));
		const resumed = await runCli(root, ['run', '--headless'], env);
		expect(resumed.exitCode, resumed.stdout + resumed.stderr).toBe(0);
		const fsck = git('fsck', '--no-dangling');
		expect(fsck.exitCode, fsck.stdout + fsck.stderr).toBe(0);
		expect(git('cat-file', '-t', committed).stdout).toBe('commit');
	}, 120_000);
});
