import {chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import path from 'node:path';
import {execa} from 'execa';
import {describe, expect, it} from 'vitest';
import {probeBwrap} from '../../source/agents/sandbox.js';
import {buildLedger, attemptsUsed} from '../../source/core/ledger.js';
import {listRuns} from '../../source/core/run-dir.js';
import {CLI, FAKE_AGENT, makeRepo, runCli, runEvents} from '../helpers/repo.js';

const status = (root: string, id: string) => /^status: (\S+)$/m.exec(readFileSync(path.join(root, '.proofloop', 'tickets', `${id}.md`), 'utf8'))?.[1];

/** Refused before anything is written: exit 2, the fix named, no run, the ticket still todo. */
async function expectRefused(root: string, env: Record<string, string>, problem: RegExp, fix: RegExp) {
	const result = await runCli(root, ['run', '--headless'], env);
	expect(result.exitCode, result.stdout + result.stderr).toBe(2);
	expect(result.stderr).toMatch(/preflight: .*no attempt was spent/);
	expect(result.stderr).toMatch(problem);
	expect(result.stderr).toMatch(fix);
	expect(listRuns(root)).toEqual([]);
	expect(status(root, 'A')).toBe('todo');
	expect(readFileSync(path.join(root, '.proofloop', 'tickets', 'A.md'), 'utf8')).not.toMatch(/^attempts:/m);
}

const probe = probeBwrap();

describe('preflight: a program the run cannot start costs no attempt', () => {
	it('a missing agent binary stops the run before any attempt, with the fix; doctor says the same', async () => {
		const {root, plan} = makeRepo({tickets: [{id: 'A'}], config: {attempts: 3, agent: {type: 'claude', bin: 'no-such-claude-cli'}}});
		await expectRefused(
			root,
			{FAKE_AGENT_PLAN: plan},
			/worker agent \(claude\): `no-such-claude-cli` is not found on the agents' PATH/,
			/fix: install it, or set "bin"/,
		);
		const doctor = await runCli(root, ['doctor']);
		expect(doctor.stdout).toMatch(/FAIL {2}worker agent \(claude\): `no-such-claude-cli` is not found/);
		expect(doctor.exitCode).not.toBe(0);
	});

	it('a check program that does not exist (per ticket too) stops the run before any agent runs', async () => {
		const {root, plan} = makeRepo({
			tickets: [{id: 'A', extra: 'checks: ["./scripts/not-committed.sh"]'}],
			config: {checks: ['no-such-pnpm-here test'], verify: ['test -e README.md']},
		});
		await expectRefused(
			root,
			{FAKE_AGENT_PLAN: plan},
			/check `no-such-pnpm-here test`: `no-such-pnpm-here` is not found on PATH/,
			/A's check `\.\/scripts\/not-committed\.sh`: \.\/scripts\/not-committed\.sh is not in main/,
		);
	});

	it.skipIf(!probe.ok)('an agent script under /tmp, hidden by the sandbox, is named with sandboxPaths.readable as the fix; opened, the run goes', async () => {
		const hidden = mkdtempSync(path.join(tmpdir(), 'pl-hidden-agent-'));
		const script = path.join(hidden, 'agent.mjs');
		copyFileSync(FAKE_AGENT, script);
		const {root, plan} = makeRepo({tickets: [{id: 'A'}], config: {sandbox: 'bwrap', agent: {type: 'command', command: `node ${script} {ticket} {attempt}`}}});
		await expectRefused(
			root,
			{FAKE_AGENT_PLAN: plan},
			new RegExp(`${script.replaceAll('.', '\\.')} is under /tmp, which the sandbox hides`),
			/add ".*pl-hidden-agent-.*" to "sandboxPaths.readable"/,
		);

		const configFile = path.join(root, '.proofloop', 'config.json');
		const config = JSON.parse(readFileSync(configFile, 'utf8'));
		config.sandboxPaths.readable.push(hidden);
		writeFileSync(configFile, JSON.stringify(config));
		await execa('git', ['commit', '-qam', 'open the agent dir'], {cwd: root});
		const run = await runCli(root, ['run', '--headless'], {FAKE_AGENT_PLAN: plan});
		expect(run.exitCode, run.stdout + run.stderr).toBe(0);
	});

	it('a check program gone mid-run stops dispatch at its first failure to start; no attempt is charged', async () => {
		const {root, plan, io} = makeRepo({
			tickets: [{id: 'A'}, {id: 'B', deps: ['A']}],
			config: {concurrency: 1, attempts: 2, selfHeal: {max: 0}},
			plan: {_sleepMs: 1500},
		});
		const bin = path.join(io, 'bin');
		mkdirSync(bin);
		const check = path.join(bin, 'my-check');
		writeFileSync(check, '#!/bin/sh\nexit 0\n');
		chmodSync(check, 0o755);
		const configFile = path.join(root, '.proofloop', 'config.json');
		writeFileSync(configFile, JSON.stringify({...JSON.parse(readFileSync(configFile, 'utf8')), checks: [check]}));
		await execa('git', ['commit', '-qam', 'the check'], {cwd: root});

		const engine = execa(process.execPath, [CLI, 'run', '--headless'], {
			cwd: root,
			reject: false,
			env: {FAKE_AGENT_PLAN: plan, NO_COLOR: '1'},
			stdin: 'ignore',
		});
		const deadline = Date.now() + 60_000;
		while (!(listRuns(root)[0] && runEvents(root).some(e => e.type === 'agent.spawned')) && Date.now() < deadline)
			await new Promise(resolve => setTimeout(resolve, 50));
		rmSync(check);
		const result = await engine;
		expect(result.exitCode, result.stdout).toBe(1);
		const events = runEvents(root);
		expect(events.filter(e => e.type === 'attempt.started').map(e => e.type === 'attempt.started' && e.ticket)).toEqual(['A']);
		expect(events.some(e => e.type === 'attempt.failed')).toBe(false);
		expect(events.find(e => e.type === 'attempt.interrupted')).toMatchObject({
			ticket: 'A',
			reason: expect.stringMatching(/could not start \(exit 127: not found\)/),
		});
		expect(result.stdout).toMatch(/fix: make the program exist/);
		const ledger = buildLedger(events);
		expect(attemptsUsed(ledger, 'A')).toBe(0);
		expect(status(root, 'A')).toBe('todo');
		expect(status(root, 'B')).toBe('todo');
		expect(existsSync(check)).toBe(false);
	}, 120_000);

	it("an agent that only says it could not start (bwrap's words, a check rewritten to exit 127) is charged, and dispatch goes on", async () => {
		// A says bwrap could not start it; B rewrites the check's script to exit 127.
		const liar = `sh -c 'if [ "$PROOFLOOP_TICKET" = A ]; then echo "bwrap: execvp team-agent: No such file or directory"; exit 1; fi; printf "exit 127\\n" > check.sh'`;
		const {root} = makeRepo({
			tickets: [{id: 'A'}, {id: 'B'}],
			config: {concurrency: 1, attempts: 2, selfHeal: {max: 0}, sandbox: 'none', checks: ['sh check.sh'], agent: {type: 'command', command: liar}},
		});
		writeFileSync(path.join(root, 'check.sh'), 'exit 0\n');
		await execa('git', ['add', 'check.sh'], {cwd: root});
		await execa('git', ['commit', '-qm', 'the check'], {cwd: root});
		const result = await runCli(root, ['run', '--headless']);
		expect(result.exitCode, result.stdout).toBe(1);
		const events = runEvents(root);
		// Never taken for the harness's fault: no halt, every attempt charged, both tickets tried.
		expect(events.filter(e => e.type === 'attempt.interrupted')).toEqual([]);
		const ledger = buildLedger(events);
		expect([attemptsUsed(ledger, 'A'), attemptsUsed(ledger, 'B')]).toEqual([2, 2]);
		const stages = (id: string) => events.filter(e => e.type === 'attempt.failed' && e.ticket === id).map(e => e.type === 'attempt.failed' && e.stage);
		expect([stages('A'), stages('B')]).toEqual([
			['implement', 'implement'],
			['checks', 'checks'],
		]);
		expect(events.filter(e => e.type === 'warning' && /the preflight passes now/.test(e.message))).toHaveLength(4);
	}, 120_000);
	it("an agent that deletes the check's script and base's object of it (unsandboxed) gets no uncharged halt: the run's preflight found it in base", async () => {
		const {root, io} = makeRepo({tickets: [{id: 'A'}], config: {concurrency: 1, attempts: 2, selfHeal: {max: 0}, sandbox: 'none', checks: ['./check.sh']}});
		const agent = path.join(io, 'unlink-agent.sh');
		writeFileSync(
			agent,
			'#!/bin/sh\nrm -f check.sh\nid=$(git rev-parse main:check.sh)\nrest=${id#??}\nrm -f "$(git rev-parse --path-format=absolute --git-common-dir)/objects/${id%"$rest"}/$rest"\n',
		);
		chmodSync(agent, 0o755);
		const configFile = path.join(root, '.proofloop', 'config.json');
		writeFileSync(configFile, JSON.stringify({...JSON.parse(readFileSync(configFile, 'utf8')), agent: {type: 'command', command: agent}}));
		writeFileSync(path.join(root, 'check.sh'), '#!/bin/sh\nexit 0\n');
		chmodSync(path.join(root, 'check.sh'), 0o755);
		await execa('git', ['add', '-A'], {cwd: root});
		await execa('git', ['commit', '-qm', 'the check'], {cwd: root});
		const result = await runCli(root, ['run', '--headless']);
		expect(result.exitCode, result.stdout).toBe(1);
		const events = runEvents(root);
		expect(events.filter(e => e.type === 'attempt.interrupted')).toEqual([]);
		expect(attemptsUsed(buildLedger(events), 'A')).toBe(2);
		expect(events.filter(e => e.type === 'attempt.failed').map(e => e.type === 'attempt.failed' && e.stage)).toEqual(['checks', 'checks']);
	}, 120_000);
	it('an agent\'s "could not start" is judged by the agent\'s own preflight, not by another program it took away (unsandboxed)', async () => {
		const {root, io} = makeRepo({tickets: [{id: 'A'}], config: {concurrency: 1, attempts: 2, selfHeal: {max: 0}, sandbox: 'none'}});
		const bin = path.join(io, 'bin');
		mkdirSync(bin);
		const check = path.join(bin, 'my-check');
		writeFileSync(check, '#!/bin/sh\nexit 0\n');
		chmodSync(check, 0o755);
		// It removes the check's program, then says bwrap could not start it.
		const agent = path.join(io, 'liar.sh');
		writeFileSync(agent, `#!/bin/sh\nrm -f ${check}\necho "bwrap: execvp team-agent: No such file or directory"\nexit 1\n`);
		chmodSync(agent, 0o755);
		const configFile = path.join(root, '.proofloop', 'config.json');
		writeFileSync(configFile, JSON.stringify({...JSON.parse(readFileSync(configFile, 'utf8')), checks: [check], agent: {type: 'command', command: agent}}));
		await execa('git', ['commit', '-qam', 'the check'], {cwd: root});
		const result = await runCli(root, ['run', '--headless']);
		expect(result.exitCode, result.stdout).toBe(1);
		const events = runEvents(root);
		expect(events.filter(e => e.type === 'attempt.interrupted')).toEqual([]);
		expect(attemptsUsed(buildLedger(events), 'A')).toBe(2);
	}, 120_000);
});
