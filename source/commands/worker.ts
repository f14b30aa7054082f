import {existsSync} from 'node:fs';
import path from 'node:path';
import type {Command} from 'commander';
import {RedisUrl} from '../executor/config.js';
import {InputError} from '../core/input-error.js';
import {packageVersion} from '../core/paths.js';
import {redactUrl} from '../queue/protocol.js';
import {reportError} from './errors.js';

type WorkerFlags = {queue: string; remote: string; concurrency: string; dir?: string; unsandboxed?: boolean};

function parseFlags(flags: WorkerFlags): {url: string; remote: string; concurrency: number; dir: string; unsandboxed: boolean} {
	const url = RedisUrl.safeParse(flags.queue);
	if (!url.success) throw new InputError(`--queue ${JSON.stringify(redactUrl(flags.queue))}: ${url.error.issues[0]?.message ?? 'not a Redis URL'}`);
	const concurrency = Number(flags.concurrency);
	if (!Number.isInteger(concurrency) || concurrency < 1) {
		throw new InputError(`--concurrency ${JSON.stringify(flags.concurrency)}: expected a whole number of at least 1 (attempts this worker runs at once)`);
	}
	// A remote that is a path here is one from this directory (the clone's git runs elsewhere).
	const remote = existsSync(flags.remote) ? path.resolve(flags.remote) : flags.remote;
	return {url: flags.queue, remote, concurrency, dir: path.resolve(flags.dir ?? 'proofloop-worker'), unsandboxed: Boolean(flags.unsandboxed)};
}

export function registerWorker(program: Command): void {
	program
		.command('worker')
		.description('take attempts from a run\'s queue (config executor "queue") and run their agents here; the finish line stays with the run')
		.requiredOption('--queue <url>', 'the BullMQ queue: redis://HOST:PORT/DB (rediss:// for TLS)')
		.requiredOption('--remote <git-url>', 'the git remote the run pushes to (a bare repository path, ssh or https)')
		.option('--concurrency <n>', 'attempts run at once', '1')
		.option('--dir <path>', "this worker's clone, checkouts and logs", 'proofloop-worker')
		.option(
			'--unsandboxed',
			"also run jobs whose agents would run outside bubblewrap (sandbox none, or no bwrap here): such an agent can read this worker's queue URL and git credentials",
		)
		.action(async (flags: WorkerFlags) => {
			try {
				const opts = parseFlags(flags);
				const {startWorker} = await import('../queue/worker.js');
				const say = (line: string) => process.stdout.write(`${line}\n`);
				const worker = await startWorker({...opts, env: process.env, say});
				say(
					`proofloop worker ${packageVersion()}: taking attempts from ${redactUrl(opts.url)} (concurrency ${opts.concurrency}), ` +
						`remote ${opts.remote}, clone in ${opts.dir}`,
				);
				// The first signal lets the running attempts finish (a scale-down); a second ends them now.
				let signals = 0;
				const onSignal = () => void worker.stop(signals++ === 0 ? 'gentle' : 'hard');
				process.on('SIGTERM', onSignal);
				process.on('SIGINT', onSignal);
				process.exitCode = await worker.done;
				// Connections are closed; a straggling handle must not keep a stopped worker alive.
				setTimeout(() => process.exit(), 2000).unref();
				process.off('SIGTERM', onSignal);
				process.off('SIGINT', onSignal);
			} catch (error) {
				process.exitCode = reportError(error);
			}
		});
}
