import {spawn} from 'node:child_process';
import {existsSync, mkdirSync, openSync, closeSync, readFileSync, readdirSync, rmdirSync, statSync, unlinkSync} from 'node:fs';
import path from 'node:path';
import {openRepo} from '../git/index.js';
import {findEngine} from '../core/control-client.js';
import {cliEntry, runsDir} from '../core/paths.js';
import {readLock} from '../core/run-lock.js';
import {InputError} from '../core/start-run.js';
import {setTimeout as sleep} from 'node:timers/promises';

/**
 * Start the engine as a background process (it survives this terminal, every
 * client, and a closed tmux pane) and wait until it listens. Its own plain
 * progress lines go to .proofloop/runs/engine.out. If it refuses to start (bad
 * input), its message is returned as an error, exactly as a foreground run says it.
 */
export async function startDaemon(cwd: string, opts: {unsandboxed?: boolean; allowDirty?: boolean} = {}): Promise<{repoRoot: string; runId: string}> {
	const repo = await openRepo(cwd);
	const root = repo.root;
	const running = findEngine(root);
	if (running.ok) {
		throw new InputError(
			`an engine is already running in this repo (pid ${running.address.pid}, run ${running.address.runId})\n  fix: watch it with \`proofloop attach\``,
		);
	}
	const hadRunsDir = existsSync(runsDir(root));
	mkdirSync(runsDir(root), {recursive: true});
	const outFile = path.join(runsDir(root), 'engine.out');
	const hadOutFile = existsSync(outFile);
	const out = openSync(outFile, 'a');
	const before = statSync(outFile).size;
	const child = spawn(
		process.execPath,
		[cliEntry(), 'run', '--headless', ...(opts.unsandboxed ? ['--unsandboxed'] : []), ...(opts.allowDirty ? ['--allow-dirty'] : [])],
		{cwd: root, detached: true, stdio: ['ignore', out, out]},
	);
	closeSync(out);
	let exited: number | undefined;
	child.once('exit', code => {
		exited = code ?? 1;
	});
	child.unref();
	for (;;) {
		const lock = readLock(root);
		const found = findEngine(root);
		if (found.ok && lock?.pid === child.pid) return {repoRoot: root, runId: found.address.runId};
		if (exited !== undefined) {
			const said = readFileSync(outFile, 'utf8').slice(before).trim();
			// A refusal writes nothing: take back the log (and runs dir) this start created.
			if (!hadOutFile) unlinkSync(outFile);
			if (!hadRunsDir && readdirSync(runsDir(root)).length === 0) rmdirSync(runsDir(root));
			const error = new InputError(said.replace(/^proofloop: /, '') || `the engine exited with code ${exited} before it started`);
			(error as InputError & {exitCode?: number}).exitCode = exited;
			throw error;
		}
		await sleep(50);
	}
}
