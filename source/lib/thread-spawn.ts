import {Worker} from 'node:worker_threads';

/** How a short child process (a git call) ended: its code or signal, its output, or why it could not start. */
export type ChildResult = {code: number | null; signal: string | null; stdout: string; stderr: string; startError?: string};
export type ChildRequest = {file: string; args: string[]; cwd: string; env: Record<string, string>; input?: string};

// spawn() blocks its thread until the child has exec'd (fork, then a wait on
// a pipe): tens of ms on a loaded machine, 30–43% of the engine's main thread
// when it was ours. One helper thread takes that wait; the main loop only posts.
const WORKER_SOURCE = `
const {parentPort} = require('node:worker_threads');
const {spawn} = require('node:child_process');
const text = chunks => Buffer.concat(chunks).toString('utf8').replace(/\\r?\\n$/, '');
parentPort.on('message', ({id, file, args, cwd, env, input}) => {
	const out = [];
	const err = [];
	let settled = false;
	const finish = (code, signal, startError) => {
		if (settled) return;
		settled = true;
		parentPort.postMessage({id, code, signal, stdout: text(out), stderr: text(err), ...(startError === undefined ? {} : {startError})});
	};
	let child;
	try {
		child = spawn(file, args, {cwd, env, stdio: [input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe']});
	} catch (error) {
		finish(null, null, String((error && error.message) || error));
		return;
	}
	child.stdout.on('data', chunk => out.push(chunk));
	child.stderr.on('data', chunk => err.push(chunk));
	child.on('error', error => finish(null, null, String((error && error.message) || error)));
	child.on('close', (code, signal) => finish(code, signal));
	if (input !== undefined) {
		// The child may exit before reading all of it (a refusal): that is its answer, not an error here.
		child.stdin.on('error', () => undefined);
		child.stdin.end(input);
	}
});
`;

type Pending = {resolve: (result: ChildResult) => void; reject: (error: Error) => void};

/** One helper thread, started on first use; it keeps the process alive only while a child runs. */
class SpawnThread {
	#worker: Worker | undefined;
	readonly #pending = new Map<number, Pending>();
	#next = 0;

	run(request: ChildRequest): Promise<ChildResult> {
		const worker = this.#ensure();
		const id = ++this.#next;
		return new Promise<ChildResult>((resolve, reject) => {
			this.#pending.set(id, {resolve, reject});
			if (this.#pending.size === 1) worker.ref();
			worker.postMessage({id, ...request});
		});
	}

	#ensure(): Worker {
		if (this.#worker) return this.#worker;
		const worker = new Worker(WORKER_SOURCE, {eval: true});
		worker.unref();
		worker.on('message', (message: ChildResult & {id: number}) => {
			const {id, ...result} = message;
			const pending = this.#pending.get(id);
			this.#pending.delete(id);
			if (this.#pending.size === 0) worker.unref();
			pending?.resolve(result);
		});
		// A dead helper fails what it held; the next call starts a new one.
		const fail = (error: Error): void => {
			if (this.#worker === worker) this.#worker = undefined;
			for (const pending of this.#pending.values()) pending.reject(error);
			this.#pending.clear();
		};
		worker.on('error', fail);
		worker.on('exit', code => fail(new Error(`the process-spawning thread exited (${code})`)));
		this.#worker = worker;
		return worker;
	}
}

const thread = new SpawnThread();

/** Run a short child to its end off the main thread; output is utf8 with one final newline taken off (as execa does). */
export function runOffThread(request: ChildRequest): Promise<ChildResult> {
	return thread.run(request);
}
