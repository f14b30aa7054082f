/**
 * Who is on the other end of a human-channel connection. Unsandboxed, an agent
 * is the same user as the person and can read the channel's key; the key
 * proves nothing then. The kernel knows the peer: `ss -xpn` (sock_diag, which
 * /proc/net/unix lacks) gives the processes holding the other end of our
 * socket, and /proc says whether any of them, or an ancestor, is this run's.
 */
import {execFile} from 'node:child_process';
import {readFileSync, readlinkSync} from 'node:fs';
import type net from 'node:net';
import {runCgroupName} from '../process/containment.js';

export type PeerVerdict = {ok: true} | {ok: false; detail: string; message: string; ticket?: string; attempt?: number};

export type PeerCheck = (socket: net.Socket) => Promise<PeerVerdict>;

/** The pids holding the client end of `socket` (empty when the kernel or ss could not say), or why not. */
export async function peerPids(socket: net.Socket): Promise<{pids: number[]} | {unknown: string}> {
	const fd = (socket as unknown as {_handle?: {fd?: number}})._handle?.fd;
	if (typeof fd !== 'number' || fd < 0) return {unknown: 'the connection has no file descriptor'};
	let inode: string;
	try {
		inode = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/self/fd/${fd}`))?.[1] ?? '';
	} catch (error) {
		return {unknown: `/proc/self/fd unreadable (${(error as NodeJS.ErrnoException).code ?? 'error'})`};
	}
	if (!inode) return {unknown: 'the connection is not a socket'};
	const out = await new Promise<{stdout: string} | {unknown: string}>(resolve => {
		execFile('ss', ['-xpnH'], {encoding: 'utf8', timeout: 15_000, maxBuffer: 64 * 1024 * 1024}, (error, stdout) => {
			if (error && (error as NodeJS.ErrnoException).code === 'ENOENT') resolve({unknown: '`ss` (iproute2) is not installed'});
			else if (error) resolve({unknown: `\`ss -xpn\` failed: ${error.message.split('\n')[0]}`});
			else resolve({stdout});
		});
	});
	if ('unknown' in out) return out;
	// The client end's line ends with our inode as its peer, then the processes that hold it.
	const line = new RegExp(`\\s${inode}\\s+users:\\(\\((.*)\\)\\)\\s*$`);
	const pids = new Set<number>();
	for (const text of out.stdout.split('\n')) {
		const users = line.exec(text)?.[1];
		if (users) for (const m of users.matchAll(/pid=(\d+)/g)) pids.add(Number(m[1]));
	}
	return pids.size > 0 ? {pids: [...pids]} : {unknown: 'no process holds the other end (it exited, or ss could not see it)'};
}

function read(file: string): string | undefined {
	try {
		return readFileSync(file, 'utf8');
	} catch {
		return undefined;
	}
}

const parentOf = (pid: number): number | undefined => {
	const stat = read(`/proc/${pid}/stat`);
	// The name in parentheses may hold anything: the fields start after the last ')'.
	const ppid = stat ? Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) : Number.NaN;
	return Number.isInteger(ppid) ? ppid : undefined;
};

type Belongs = {why: string; ticket?: string; attempt?: number};

/**
 * Whether `pid` or an ancestor is this run's: started by this engine, in one of
 * the run's cgroups, or carrying its marker. An `env -i` or a `setsid` double
 * fork leaves at least the cgroup where containment has one.
 */
export function belongsToRun(pid: number, runId: string, cgroupSegment: string): Belongs | undefined {
	let found: Belongs | undefined;
	const seen = new Set<number>();
	for (let p: number | undefined = pid; p !== undefined && (p > 1 || p === process.pid) && !seen.has(p) && seen.size < 128; p = parentOf(p)) {
		seen.add(p);
		const cgroup = read(`/proc/${p}/cgroup`);
		const inCgroup = cgroup?.split('\n').find(line => line.includes(`/proofloop/${cgroupSegment}/`));
		const environ = (read(`/proc/${p}/environ`) ?? '').split('\0');
		const marked = environ.includes(`PROOFLOOP_RUN_ID=${runId}`);
		const why =
			p === process.pid
				? `started by this engine (pid ${p})`
				: inCgroup
					? `in this run's cgroup (pid ${p})`
					: marked
						? `carries this run's marker (pid ${p})`
						: undefined;
		if (why) found ??= {why};
		if (found && marked && found.ticket === undefined) {
			const ticket = environ.find(e => e.startsWith('PROOFLOOP_TICKET='))?.slice('PROOFLOOP_TICKET='.length);
			const attempt = Number(environ.find(e => e.startsWith('PROOFLOOP_ATTEMPT='))?.slice('PROOFLOOP_ATTEMPT='.length));
			if (ticket) found = {...found, ticket, ...(Number.isInteger(attempt) && attempt > 0 ? {attempt} : {})};
		}
		if (found?.ticket !== undefined) break;
	}
	return found;
}

/**
 * The check the human channel runs before it acts. `strict` (an unsandboxed
 * run): a peer that cannot be identified is refused too, since it may be an agent.
 */
export function humanPeerCheck(opts: {runId: string; strict: boolean}): PeerCheck {
	const cgroupSegment = runCgroupName(opts.runId);
	return async socket => {
		const peer = await peerPids(socket);
		if ('unknown' in peer) {
			if (!opts.strict) return {ok: true};
			return {
				ok: false,
				detail: `the sending process could not be identified: ${peer.unknown}`,
				message:
					`refused: this unsandboxed run acts on the human channel only for a process it can tell is not one of its agents, ` +
					`and it could not identify the sender (${peer.unknown}). Install iproute2 (\`apt-get install iproute2\`, for \`ss\`) ` +
					`and run the proofloop CLI from your own shell; logged as a tamper attempt`,
			};
		}
		for (const pid of peer.pids) {
			const belongs = belongsToRun(pid, opts.runId, cgroupSegment);
			if (!belongs) continue;
			return {
				ok: false,
				detail: `sent by a process of this run's attempts: ${belongs.why}`,
				message:
					`refused: the sender is a process of this run's agents or checks (${belongs.why}); the human channel serves the person who started the run. ` +
					`Logged as a tamper attempt`,
				...(belongs.ticket === undefined ? {} : {ticket: belongs.ticket}),
				...(belongs.attempt === undefined ? {} : {attempt: belongs.attempt}),
			};
		}
		return {ok: true};
	};
}
