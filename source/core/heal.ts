import {cpSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync} from 'node:fs';
import path from 'node:path';
import {z} from 'zod';
import type {AgentAdapter} from '../agents/adapter.js';
import {runAgent} from '../agents/runner.js';
import {stopIfDiskFull} from './disk-full.js';
import {runGit} from '../git/index.js';
import {CONFIG_PATH, parseProjectConfig} from './config.js';
import {agentEnv, type EngineContext} from './context.js';
import {withAgentSlot} from './agent-slots.js';
import {tripwire} from './oracle.js';
import {loadTemplate, renderTemplate} from './prompt.js';
import {extractLastJson} from './review.js';
import {readManifest} from './run-dir.js';

// Self-heal may improve everything about how the loop works, except the thing
// that decides whether it worked: only these paths, never the config fields
// that define done (batch, base, tracker, checks, verify, protected paths, reviewer) or
// box the agents (sandbox, sandboxPaths, agentEnv), never the oracle or the tickets.
export const HARNESS_PATHS = ['.proofloop/prompts/', CONFIG_PATH, '.proofloop/hooks/'];
const FROZEN_CONFIG_FIELDS = ['batch', 'base', 'tracker', 'checks', 'verify', 'protectedPaths', 'protect', 'reviewer', 'reviewers'] as const;
// What boxes the agents and what they see (and notify, whose command runs outside every box): turning either down is a person's choice, never a healer's.
// sync: its apiUrl gets the tracker token, its repo gets the results.
const TRUST_CONFIG_FIELDS = ['sandbox', 'sandboxPaths', 'agentEnv', 'notify', 'sync'] as const;

export const HealVerdict = z.discriminatedUnion('verdict', [
	z.object({verdict: z.literal('harness-gap'), change: z.string().min(1)}),
	z.object({verdict: z.literal('external-wall'), evidence: z.string().min(1)}),
]);

export type HealOutcome = {outcome: 'applied' | 'refused' | 'external-wall' | 'failed'; reason: string; files: string[]; diff: string};

const inHarness = (file: string): boolean => HARNESS_PATHS.some(entry => (entry.endsWith('/') ? file.startsWith(entry) : file === entry));

function copyHarness(from: string, to: string): void {
	for (const entry of HARNESS_PATHS) {
		const source = path.join(from, entry);
		const target = path.join(to, entry);
		rmSync(target, {recursive: true, force: true});
		if (existsSync(source)) {
			mkdirSync(path.dirname(target), {recursive: true});
			cpSync(source, target, {recursive: true});
		}
	}
}

/**
 * One heal: a fresh healer in a scratch checkout holding the harness as the
 * run uses it; its change is checked (paths, config, prompts, tripwire,
 * membership) and applied to the main checkout only when all of it holds. A
 * refused change is never applied, so nothing needs undoing.
 */
export async function runHeal(ctx: EngineContext, healer: AgentAdapter, heal: number, report: string): Promise<HealOutcome> {
	const base = (await ctx.repo.revParse(`refs/heads/${ctx.config.base}`)) ?? '';
	const promptFile = path.join(ctx.run.dir, 'prompts', `heal-${heal}.md`);
	mkdirSync(path.dirname(promptFile), {recursive: true});
	writeFileSync(promptFile, renderTemplate(loadTemplate(ctx.repoRoot, 'heal'), {stop_report: report}));
	const logFile = path.join(ctx.run.dir, 'logs', '_heal', `${heal}.log`);

	const work = await ctx.repo.withDetachedCheckout(`heal-${heal}`, base, async dir => {
		// Baseline = the harness as the run uses it now (the user's uncommitted edits included).
		copyHarness(ctx.repoRoot, dir);
		await ctx.repo.commitAll(dir, 'proofloop: the harness as the run uses it');
		const baseline = (await runGit(dir, ['rev-parse', 'HEAD'])).stdout.trim();
		let said = '';
		const answer = await withAgentSlot(ctx, {agent: healer.name, role: 'healer', ticket: `heal-${heal}`, attempt: heal}, () =>
			runAgent({
				adapter: healer,
				input: {ticketId: `heal-${heal}`, attempt: heal, maxAttempts: ctx.config.selfHeal.max, promptFile, worktree: dir},
				// Like every agent: an allow-listed environment, boxed when the run has a sandbox.
				env: {...agentEnv(ctx, `heal-${heal}`, heal), PROOFLOOP_ROLE: 'healer'},
				...(ctx.sandbox ? {sandbox: ctx.sandbox} : {}),
				logFile,
				timeoutMs: ctx.config.attemptTimeoutSeconds * 1000,
				onEvent: event => {
					if (event.type === 'text' || event.type === 'result') said = `${said}\n${event.type === 'text' ? event.text : event.message}`.slice(-65_536);
				},
			}),
		);
		await ctx.repo.commitAll(dir, "proofloop: the healer's change");
		const files = (await runGit(dir, ['diff', '--name-only', '--no-renames', baseline, 'HEAD'])).stdout.split('\n').filter(Boolean);
		const diff = (await runGit(dir, ['diff', baseline, 'HEAD'])).stdout;
		const contents = new Map(files.map(file => [file, existsSync(path.join(dir, file)) ? readFileSync(path.join(dir, file), 'utf8') : undefined]));
		return {answer, said, files, diff, contents};
	});

	const {files, diff} = work;
	if (work.answer.logError) stopIfDiskFull(ctx, work.answer.logError, logFile);
	if (!work.answer.ok) return {outcome: 'failed', reason: `the healer failed: ${work.answer.reason}`, files, diff};
	const verdict = extractLastJson(work.said, HealVerdict);
	if (!verdict.ok) return {outcome: 'failed', reason: `the healer answered no valid verdict JSON (${verdict.reason})`, files, diff};
	if (verdict.value.verdict === 'external-wall') return {outcome: 'external-wall', reason: verdict.value.evidence, files, diff};

	const refuse = (reason: string): HealOutcome => ({outcome: 'refused', reason, files, diff});
	if (files.length === 0) return refuse('the healer claimed a harness gap but changed nothing');
	const outside = files.filter(file => !inHarness(file));
	if (outside.length > 0) return refuse(`the change touches paths outside the harness layer: ${outside.join(', ')}`);
	const configText = work.contents.has(CONFIG_PATH) ? work.contents.get(CONFIG_PATH) : readFileSync(path.join(ctx.repoRoot, CONFIG_PATH), 'utf8');
	if (configText === undefined) return refuse(`the change deletes ${CONFIG_PATH}`);
	let next;
	try {
		next = parseProjectConfig(configText);
	} catch (error) {
		return refuse(`the new config does not parse: ${(error as Error).message}`);
	}
	for (const field of FROZEN_CONFIG_FIELDS) {
		if (JSON.stringify(next[field]) !== JSON.stringify(ctx.config[field])) return refuse(`the change alters "${field}", which defines what done means`);
	}
	for (const field of TRUST_CONFIG_FIELDS) {
		if (JSON.stringify(next[field]) !== JSON.stringify(ctx.config[field]))
			return refuse(`the change alters "${field}", which decides how the agents are boxed, what they see, or what runs outside every box (a person's choice)`);
	}
	for (const name of ['worker', 'reviewer', 'heal', 'plan', 'plan-review'] as const) {
		const file = `.proofloop/prompts/${name}.md`;
		const text = work.contents.get(file);
		if (text === undefined) continue;
		// A prompt must still render: every placeholder one proofloop fills.
		const used = [...text.matchAll(/{{\s*([a-z_]+)\s*}}/g)].map(m => m[1]!);
		const unknown = used.filter(key => !KNOWN_PLACEHOLDERS.has(key));
		if (unknown.length > 0) return refuse(`${file} uses placeholders proofloop does not provide: ${unknown.join(', ')}`);
	}
	const wire = await tripwire({pinnedSha256: ctx.manifest.oracle_sha256});
	if (!wire.ok) return refuse(`the tripwire failed after the heal: ${wire.problems.join('; ')}`);
	const manifest = readManifest(ctx.run);
	if (manifest.batch !== ctx.manifest.batch || !ctx.manifest.ticket_ids.every(id => manifest.ticket_ids.includes(id))) {
		return refuse('the run manifest lost batch membership');
	}

	// Every check held: apply to the main checkout, then the loop re-reads its config.
	for (const [file, text] of work.contents) {
		const target = path.join(ctx.repoRoot, file);
		if (text === undefined) rmSync(target, {force: true});
		else {
			mkdirSync(path.dirname(target), {recursive: true});
			writeFileSync(target, text);
		}
	}
	Object.assign(ctx.config, next);
	return {outcome: 'applied', reason: verdict.value.change, files, diff};
}

const KNOWN_PLACEHOLDERS = new Set([
	'ticket_id',
	'ticket_file',
	'ticket_text',
	'attempt',
	'max_attempts',
	'branch',
	'base',
	'checks',
	'verify',
	'protected_paths',
	'previous_attempts',
	'round',
	'max_rounds',
	'diff',
	'stop_report',
	'plan',
]);
