import {execFileSync} from 'node:child_process';
import {existsSync} from 'node:fs';
import path from 'node:path';
import {describe, expect, it} from 'vitest';
import {makeRepo, runCli} from '../helpers/repo.js';

const sshKeygen = ['/usr/bin/ssh-keygen', '/bin/ssh-keygen', '/usr/local/bin/ssh-keygen'].some(file => existsSync(file));

// A user who signs every commit and shows signatures in git log: the engine's
// merges are signed (commit-tree honours commit.gpgSign), and the oracle must
// still read their messages (git prints the signature check before each one).
describe.skipIf(!sshKeygen)('a repository that signs commits and shows signatures in log', () => {
	it('runs to oracle 0: the oracle reads signed merge messages', async () => {
		const {root, plan, io} = makeRepo({tickets: [{id: 'A'}, {id: 'B'}], config: {sandbox: 'none'}, plan: {_sleepMs: 20}});
		const key = path.join(io, 'signing-key');
		execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', key]);
		const git = (...args: string[]) => execFileSync('git', args, {cwd: root});
		git('config', 'gpg.format', 'ssh');
		git('config', 'user.signingkey', key);
		git('config', 'commit.gpgSign', 'true');
		git('config', 'log.showSignature', 'true');
		const result = await runCli(root, ['run', '--headless'], {FAKE_AGENT_PLAN: plan});
		expect(result.exitCode, result.stdout + result.stderr).toBe(0);
		// The merges really are signed, and so is the ticket-state commit at the run's end (main's tip).
		expect(execFileSync('git', ['cat-file', 'commit', 'main^'], {cwd: root, encoding: 'utf8'})).toMatch(/^gpgsig /m);
		const tip = execFileSync('git', ['cat-file', 'commit', 'main'], {cwd: root, encoding: 'utf8'});
		expect(tip).toMatch(/^gpgsig /m);
		expect(tip).toMatch(/^Proofloop-Run: /m);
		const oracle = await runCli(root, ['oracle']);
		expect(oracle.exitCode, oracle.stdout + oracle.stderr).toBe(0);
	});
});
