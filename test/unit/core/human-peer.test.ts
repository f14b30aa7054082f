import {spawn} from 'node:child_process';
import {mkdtempSync} from 'node:fs';
import net from 'node:net';
import {tmpdir} from 'node:os';
import path from 'node:path';
import {afterEach, describe, expect, it} from 'vitest';
import {belongsToRun, humanPeerCheck, peerPids} from '../../../source/core/human-peer.js';

// Real sockets and real child processes: the kernel names the process on the other end.

const children: Array<ReturnType<typeof spawn>> = [];
afterEach(() => {
	for (const child of children.splice(0)) child.kill('SIGKILL');
});

/** A server socket, a child process connected to it with `env`, and the server's end of that connection. */
async function connectedChild(env: Record<string, string>): Promise<{socket: net.Socket; pid: number}> {
	const file = path.join(mkdtempSync(path.join(tmpdir(), 'pl-peer-')), 's');
	const accepted = new Promise<net.Socket>(resolve => {
		const server = net.createServer(socket => {
			server.close();
			resolve(socket);
		});
		server.listen(file);
	});
	await new Promise(resolve => setTimeout(resolve, 50));
	const child = spawn(process.execPath, ['-e', `require('net').createConnection(${JSON.stringify(file)}); setTimeout(() => {}, 30000)`], {
		env: {PATH: process.env['PATH'] ?? '', ...env},
		stdio: 'ignore',
	});
	children.push(child);
	return {socket: await accepted, pid: child.pid!};
}

describe("the human channel's peer", () => {
	it('is the process holding the other end of the connection', async () => {
		const {socket, pid} = await connectedChild({});
		expect(await peerPids(socket)).toEqual({pids: [pid]});
		socket.destroy();
	});

	it("belongs to the run when it carries the run's marker, or was started by the engine; a stranger does not", async () => {
		const marked = await connectedChild({PROOFLOOP_RUN_ID: 'run-1', PROOFLOOP_TICKET: 'A', PROOFLOOP_ATTEMPT: '2'});
		expect(belongsToRun(marked.pid, 'run-1', 'run-1')).toMatchObject({
			why: expect.stringMatching(/this run's marker|started by this engine/),
			ticket: 'A',
			attempt: 2,
		});
		// This test process plays the engine: its child is one of its spawns, whatever its environment.
		expect(belongsToRun(marked.pid, 'run-2', 'run-2')).toMatchObject({why: expect.stringMatching(/started by this engine/)});
		const refused = await humanPeerCheck({runId: 'run-1', strict: true})(marked.socket);
		expect(refused).toMatchObject({ok: false, ticket: 'A', message: expect.stringMatching(/^refused: the sender is a process of this run's agents or checks/)});
		expect(belongsToRun(process.ppid, 'run-1', 'run-1')).toBeUndefined();
		marked.socket.destroy();
	});

	it('that cannot be identified is refused in a strict (unsandboxed) run, naming the fix, and let through otherwise', async () => {
		const {socket} = await connectedChild({});
		const gone = children.pop()!;
		gone.kill('SIGKILL');
		await new Promise(resolve => gone.once('exit', resolve));
		await new Promise(resolve => setTimeout(resolve, 100));
		expect(await humanPeerCheck({runId: 'run-1', strict: true})(socket)).toMatchObject({
			ok: false,
			message: expect.stringMatching(/could not identify the sender.*iproute2/),
		});
		expect(await humanPeerCheck({runId: 'run-1', strict: false})(socket)).toEqual({ok: true});
		socket.destroy();
	});
});
