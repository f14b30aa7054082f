/**
 * One queued attempt on a worker: a fresh checkout at the pushed start, the
 * agent run exactly as a local attempt runs it (its adapter, the sandbox
 * policy, the allow-listed environment), the leftovers committed, the head
 * pushed back. The finish line is the coordinator's, never the worker's.
 */
import {mkdirSync, rmSync, writeFileSync} from 'node:fs';
import path from 'node:path';
import {UnrecoverableError} from 'bullmq';
import type {Redis} from 'ioredis';
import {createAdapter} from '../agents/registry.js';
import {runAgent} from '../agents/runner.js';
import {resolveSandbox} from '../agents/sandbox.js';
import {commitAll} from '../git/commit.js';
import {branchInHeadFile} from '../git/ref-files.js';
import {runGit} from '../git/run.js';
import {agentEnv} from '../core/context.js';
import {parseProjectConfig, type ProjectConfig} from '../core/config.js';
import {sandboxPolicy, workerEnv} from '../core/run-env.js';
import type {RunDir} from '../core/run-dir.js';
import {publishLog, sayHost} from './log-stream.js';
import {openRemoteVerbs} from './remote-verbs.js';
import {workerMarker} from './worker-orphans.js';
import {leftoverMessage, logStreamKey, type AttemptJob, type AttemptResult} from './protocol.js';
import type {WorkerClone} from './worker-clone.js';

export type WorkerSide = {
	clone: WorkerClone;
	redis: Redis;
	host: string;
	version: string;
	env: NodeJS.ProcessEnv;
	unsandboxed: boolean;
	onSpawn: (pid: number) => void;
};

/** The job's config subset as a whole config (defaults for the rest), validated here as the coordinator validated it. */
function configOf(job: AttemptJob): ProjectConfig {
	const {agent, sandbox, sandboxPaths, agentEnv: env, attemptTimeoutSeconds, trackerDir} = job.config;
	const raw = {batch: 'queue', agent, sandbox, sandboxPaths, agentEnv: env, attemptTimeoutSeconds, tracker: {type: 'files', dir: trackerDir}};
	return parseProjectConfig(JSON.stringify(raw));
}

async function branchOf(checkout: string): Promise<string | undefined> {
	// From the HEAD file when it plainly names a branch (no process); anything unusual asks git.
	const fromFile = branchInHeadFile(checkout);
	if (fromFile !== undefined) return fromFile === false ? undefined : fromFile;
	const result = await runGit(checkout, ['symbolic-ref', '-q', 'HEAD']);
	const ref = result.stdout.trim();
	return result.exitCode === 0 && ref.startsWith('refs/heads/') ? ref.slice('refs/heads/'.length) : undefined;
}

export async function runQueuedAttempt(job: AttemptJob, side: WorkerSide): Promise<AttemptResult> {
	const config = configOf(job);
	const {clone} = side;
	// Whoever can write a job chooses its sandbox: an agent outside bubblewrap here reads this worker's queue URL and git credentials.
	const decision = resolveSandbox(config.sandbox, side.env);
	if (decision.mode !== 'bwrap' && !side.unsandboxed)
		throw new UnrecoverableError(
			`worker ${side.host} runs agents only in bubblewrap, and this job's would run unsandboxed (sandbox "${config.sandbox}"${config.sandbox === 'none' ? '' : ', no working bwrap here'}): ` +
				`such an agent could read the worker's queue URL and git credentials; fix: install bubblewrap on the worker, or start it with --unsandboxed to accept that`,
		);
	// Laid out as a local run's directory: inside the clone, readable from the box, never writable there.
	const dir = path.join(clone.root, '.proofloop', 'runs', job.runId, 'queue', job.ticket, `a${job.attempt}`);
	rmSync(dir, {recursive: true, force: true});
	mkdirSync(path.join(dir, 'files'), {recursive: true});
	const promptFile = path.join(dir, 'prompt.md');
	const logFile = path.join(dir, 'agent.log');
	let prompt = job.prompt;
	for (const file of job.files) {
		const here = path.join(dir, 'files', file.name);
		writeFileSync(here, file.content);
		prompt = prompt.split(file.path).join(here);
	}
	writeFileSync(promptFile, prompt);
	const key = logStreamKey(job.attemptId);
	// Said while the checkout is made (a pane names the host as soon as a worker has the job); its failure is the attempt's, after.
	const said = sayHost(side.redis, key, side.host).then(
		() => undefined,
		(error: unknown) => (error instanceof Error ? error : new Error(String(error))),
	);
	const checkout = await clone.checkout(job);
	try {
		const unsaid = await said;
		if (unsaid !== undefined) throw unsaid;
		const policy = decision.mode === 'bwrap' ? sandboxPolicy(decision, clone.root, config, side.env) : undefined;
		const baseEnv = workerEnv(side.env, {dir} as RunDir);
		// The attempt's channel, where a local one would be: `proofloop ticket` requests go to the coordinator through the queue.
		const verbs = await openRemoteVerbs(job, {...side, root: clone.root});
		const sandbox = policy ? {...policy, socket: verbs.socket} : undefined;
		const env = {
			...agentEnv({config, baseEnv, sandbox, run: {id: job.runId, dir}}, job.ticket, job.attempt),
			...workerMarker(clone.root),
			PROOFLOOP_CONTROL: verbs.socket,
		};
		const log = publishLog(side.redis, key, logFile);
		let agent;
		try {
			agent = await runAgent({
				adapter: createAdapter(config.agent!),
				input: {ticketId: job.ticket, attempt: job.attempt, maxAttempts: job.maxAttempts, promptFile, worktree: checkout},
				env,
				...(sandbox ? {sandbox} : {}),
				logFile,
				timeoutMs: config.attemptTimeoutSeconds * 1000,
				onSpawn: side.onSpawn,
			});
		} finally {
			await verbs.close();
			await log.end();
		}
		const branch = await branchOf(checkout);
		let head: string | undefined;
		let leftover = false;
		// Off its branch: nothing is committed or pushed (the coordinator fails the attempt as a local one would).
		if (branch === job.branch) {
			const committed = await commitAll(checkout, leftoverMessage(job.ticket, job.attempt), clone.root);
			leftover = committed !== undefined;
			head = committed ?? (await clone.tipOf(checkout, job.branch));
			await clone.push(job, head);
		}
		const {logError, ...rest} = agent;
		return {
			version: side.version,
			attemptId: job.attemptId,
			host: side.host,
			agent: {...rest, ...(logError ? {logError: logError.message} : {})},
			...(branch === undefined ? {} : {branch}),
			...(head === undefined ? {} : {head}),
			leftover,
		};
	} finally {
		// The result goes now; the checkout and the start ref go right after (no later attempt can use them).
		clone.cleanUpLater(job);
	}
}
