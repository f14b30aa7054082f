import {mkdirSync, mkdtempSync, writeFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import path from 'node:path';
import {execa, execaSync} from 'execa';
import {readEventLog} from '../../source/core/event-log.js';
import type {EngineEvent} from '../../source/core/events.js';
import {listRuns} from '../../source/core/run-dir.js';
import {probeBwrap} from '../../source/agents/sandbox.js';

export const CLI = path.resolve('dist/cli.js');
export const FAKE_AGENT = path.resolve('test/fixtures/agents/fake-agent.mjs');

/**
 * The fake agents run from this checkout. Sandboxed agents get a private /tmp,
 * so a checkout under the temp dir (a CI clone, say) must be opened to them,
 * the way a user opens a tool installed under /tmp (`sandboxPaths.readable`).
 */
const CHECKOUT = path.resolve('.');
export const CHECKOUT_READABLE = CHECKOUT.startsWith(`${tmpdir()}${path.sep}`) ? [CHECKOUT] : [];

export type TicketSpec = {id: string; deps?: string[]; locks?: string[]; batch?: string; status?: string; extra?: string};

export function ticketText(t: TicketSpec): string {
	return [
		'---',
		`id: ${t.id}`,
		`title: Ticket ${t.id}`,
		`status: ${t.status ?? 'todo'}`,
		`batch: ${t.batch ?? 'b'}`,
		`deps: [${(t.deps ?? []).join(', ')}]`,
		`locks: [${(t.locks ?? []).join(', ')}]`,
		...(t.extra ? [t.extra] : []),
		'---',
		`Do ${t.id}.`,
		'',
	].join('\n');
}

/**
 * A real git repo in a temp dir with a proofloop config and tickets, committed
 * on main. The fake agents' plan and whatever they record live in a directory
 * beside it (`io`), which the config opens to sandboxed agents (they get a
 * private /tmp) and whose FAKE_* variables it passes through the allow-listed
 * agent environment.
 */
export function makeRepo(opts: {tickets: TicketSpec[]; config?: Record<string, unknown>; plan?: Record<string, unknown>}): {
	root: string;
	plan: string;
	io: string;
} {
	const root = mkdtempSync(path.join(tmpdir(), 'pl-it-'));
	const io = `${root}-io`;
	mkdirSync(io);
	const git = (...args: string[]) => execaSync('git', args, {cwd: root});
	git('init', '-q', '-b', 'main');
	git('config', 'user.name', 'test');
	git('config', 'user.email', 'test@example.invalid');
	writeFileSync(path.join(root, 'README.md'), '# test repo\n');
	writeFileSync(path.join(root, '.gitignore'), '.proofloop/runs/\n.proofloop/worktrees/\n');
	mkdirSync(path.join(root, '.proofloop', 'tickets'), {recursive: true});
	const config = {
		batch: 'b',
		concurrency: 3,
		attempts: 2,
		attemptTimeoutSeconds: 30,
		agent: {type: 'command', command: `node ${FAKE_AGENT} {ticket} {attempt}`},
		checks: ['test -e README.md'],
		verifyRetries: 0,
		agentEnv: {pass: ['FAKE_']},
		...opts.config,
		// Without a working bwrap "auto" refuses to run: on such a machine the suite runs its agents unsandboxed on purpose.
		...(!probeBwrap().ok && (opts.config?.['sandbox'] ?? 'auto') === 'auto' ? {sandbox: 'none'} : {}),
		// The io dir and the checkout are always open to sandboxed agents; a test's own paths add to them.
		sandboxPaths: {
			writable: [io, ...((opts.config?.['sandboxPaths'] as {writable?: string[]} | undefined)?.writable ?? [])],
			readable: [...CHECKOUT_READABLE, ...((opts.config?.['sandboxPaths'] as {readable?: string[]} | undefined)?.readable ?? [])],
		},
	};
	writeFileSync(path.join(root, '.proofloop', 'config.json'), JSON.stringify(config, null, 2));
	for (const t of opts.tickets) writeFileSync(path.join(root, '.proofloop', 'tickets', `${t.id}.md`), ticketText(t));
	git('add', '-A');
	git('commit', '-q', '-m', 'init');
	const plan = path.join(io, 'plan.json');
	writeFileSync(plan, JSON.stringify(opts.plan ?? {}));
	return {root, plan, io};
}

export function runCli(root: string, args: string[], env: Record<string, string> = {}) {
	return execa(process.execPath, [CLI, ...args], {cwd: root, reject: false, env: {...env, NO_COLOR: '1'}, stdin: 'ignore'});
}

export function runEvents(root: string): EngineEvent[] {
	const run = listRuns(root)[0];
	if (!run) throw new Error(`no run in ${root}`);
	return readEventLog(run.eventsFile).events;
}

/** How many commits on main carry the trailer `Ticket: <id>`. */
export async function trailerCount(root: string, id: string): Promise<number> {
	const {stdout} = await execa('git', ['log', 'main', '--format=%B%x00'], {cwd: root});
	return stdout.split('\0').filter(message => message.split('\n').includes(`Ticket: ${id}`)).length;
}

export function intervals(events: EngineEvent[], from: EngineEvent['type'], to: EngineEvent['type'][]): Map<string, [number, number]> {
	const spans = new Map<string, [number, number]>();
	for (const e of events) {
		if (!('ticket' in e)) continue;
		if (e.type === from && !spans.has(e.ticket)) spans.set(e.ticket, [Date.parse(e.at), Number.POSITIVE_INFINITY]);
		if (to.includes(e.type)) {
			const span = spans.get(e.ticket);
			if (span) span[1] = Date.parse(e.at);
		}
	}
	return spans;
}

export const overlaps = (a: [number, number], b: [number, number]): boolean => a[0] < b[1] && b[0] < a[1];
