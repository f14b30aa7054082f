import {openRepo} from '../git/index.js';
import {ControlClient, findEngine} from '../core/control-client.js';
import {InputError} from '../core/start-run.js';

/** Connect to the engine running in the repo around `cwd`, or explain why not. */
export async function connectToEngine(cwd: string): Promise<{client: ControlClient; repoRoot: string; runId: string}> {
	const repo = await openRepo(cwd);
	// Inside an attempt: a human verb goes to its worker channel, which refuses it and logs the try.
	const worker = process.env['PROOFLOOP_CONTROL'];
	if (worker) return {client: await ControlClient.connect(worker), repoRoot: repo.root, runId: process.env['PROOFLOOP_RUN_ID'] ?? ''};
	// A reviewer, planner, healer or check (the run's marker, no channel): the human channel is not theirs either.
	const inside = process.env['PROOFLOOP_RUN_ID'];
	if (inside) {
		throw new InputError(
			`refused: this process runs inside proofloop run ${inside} (PROOFLOOP_RUN_ID is set); pause, resume, gate, ungate, stop, ` +
				`status and attach are for the person who started it\n  fix: run it from your own shell`,
		);
	}
	const found = findEngine(repo.root);
	if (!found.ok) throw new InputError(found.message);
	const client = await ControlClient.connectHuman(found.address.socket);
	return {client, repoRoot: repo.root, runId: found.address.runId};
}
