import {mkdirSync, writeFileSync} from 'node:fs';
import path from 'node:path';
import {expandHome, type SandboxDecision, type SandboxPolicy} from '../agents/sandbox.js';
import {channelsRoot} from './channel-dir.js';
import type {ProjectConfig} from './config.js';
import {cliEntry, oracleDir, packageRoot} from './paths.js';
import type {RunDir} from './run-dir.js';
import {ensureTripwireCacheDir} from './tripwire-cache.js';

/** The environments and the sandbox a run hands its checks and agents, decided once when it starts. */

export function plainEnv(env: NodeJS.ProcessEnv): Record<string, string> {
	return Object.fromEntries(Object.entries(env).filter((entry): entry is [string, string] => typeof entry[1] === 'string'));
}

/**
 * What a worker's environment adds to the engine's: a `proofloop` on PATH that
 * is this very install. How to reach the engine (PROOFLOOP_CONTROL) is each
 * attempt's own worker channel, set per agent; one inherited is dropped.
 */
export function workerEnv(env: NodeJS.ProcessEnv, run: RunDir): Record<string, string> {
	const binDir = path.join(run.dir, 'bin');
	mkdirSync(binDir, {recursive: true});
	const shim = path.join(binDir, 'proofloop');
	writeFileSync(shim, `#!/bin/sh\nexec ${JSON.stringify(process.execPath)} ${JSON.stringify(cliEntry())} "$@"\n`, {mode: 0o755});
	const {PROOFLOOP_CONTROL: _inherited, ...base} = plainEnv(env);
	return {...base, PATH: `${binDir}${path.delimiter}${base.PATH ?? ''}`};
}

/** The directories no agent may write, whatever the config opens. */
export function protectedDirs(root: string, trackerDir: string): string[] {
	return [root, path.join(root, '.git'), path.resolve(root, trackerDir), path.join(root, '.proofloop', 'runs'), packageRoot(), oracleDir];
}

export function sandboxWritable(paths: string[], env: NodeJS.ProcessEnv): string[] {
	return paths.map(p => expandHome(p, env['HOME']));
}

/** What the sandbox of this run's agents needs to know (per attempt it adds the worktree and its git metadata). */
export function sandboxPolicy(decision: Extract<SandboxDecision, {mode: 'bwrap'}>, root: string, config: ProjectConfig, env: NodeJS.ProcessEnv): SandboxPolicy {
	return {
		bwrap: decision.bwrap,
		userns: decision.userns,
		repoRoot: root,
		protect: protectedDirs(root, config.tracker.dir),
		readable: [packageRoot(), path.dirname(process.execPath), ...config.sandboxPaths.readable.map(p => expandHome(p, env['HOME']))],
		writable: sandboxWritable(config.sandboxPaths.writable, env),
		// The tripwire's memory of a passing oracle is the engine's (tripwire() reads process.env too).
		readOnly: [path.dirname(ensureTripwireCacheDir(process.env))],
		// Every run's channels are out of sight; an attempt's policy adds its own socket back.
		hide: [channelsRoot(env)],
		env: plainEnv(env),
	};
}
