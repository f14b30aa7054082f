import {rmSync} from 'node:fs';
import path from 'node:path';
import {createAdapter} from '../agents/registry.js';
import {checkWritable, resolveSandbox, SandboxError, type SandboxDecision} from '../agents/sandbox.js';
import {openRepo} from '../git/index.js';
import {FileTracker} from '../tracker/files.js';
import {outsideBatchNote} from '../tracker/outside-batch.js';
import {selectBatch} from './batch.js';
import {CONFIG_PATH, loadProjectConfig, agentOf} from './config.js';
import type {RunDeps} from './context.js';
import {Engine} from './engine.js';
import {stopReport} from './stop-report.js';
import {EventLog, readEventLog} from './event-log.js';
import type {EngineEvent} from './events.js';
import {tripwire, type OracleVerdict} from './oracle.js';
import {packageVersion} from './paths.js';
import {loadPreferences} from './preferences.js';
import {buildReport} from './report.js';
import {writeFinalReport} from './final-report.js';
import {actor, controlFile} from './control-client.js';
import {ControlServer} from './control-server.js';
import {humanPeerCheck} from './human-peer.js';
import {channelDirFor, prepareChannelDir, removeChannelDir} from './channel-dir.js';
import {TamperLog, tamperSection} from './tamper-log.js';
import {TicketWriter} from './ticket-writer.js';
import {openWorkerChannel} from './worker-channel.js';
import {createRun, findResumableRun, newRunId, readManifest, writeFileAtomic, type Manifest, type RunDir} from './run-dir.js';
import {emptyRunState, reduce} from './run-state.js';
import {statusSummary} from './status-summary.js';
import {acquireRunLock} from './run-lock.js';
import {runStartedEvent} from './run-started.js';
import {AgentSlots} from './agent-slots.js';
import {startRunContainment} from '../process/run-containment.js';
import {diskFullCause, stopUnwritable, type RunUnwritableError} from './disk-full.js';

import {InputError} from './input-error.js';
import {refuseDirtyCheckouts} from './user-checkout.js';
import {refuseUnlessPreflight} from './preflight.js';
import {refuseUnknownEngines} from './engines.js';
import {reviewerConfigs} from './reviewers.js';
import {protectedDirs, sandboxPolicy, sandboxWritable, workerEnv} from './run-env.js';
import {Notifier} from './notify/notifier.js';
import {sha256File} from '../lib/sha256.js';
import {syncBeforeRun, type PullGuard} from '../tracker/sync/run-hook.js';
import {withoutTrackerTokens} from '../tracker/sync/token.js';

export {InputError} from './input-error.js';

export type RunOutcome = {exit: number; run: RunDir; verdict: OracleVerdict; resumed: boolean; report: {md: string; json: string}};

export type StartRunOptions = {
	cwd: string;
	env?: NodeJS.ProcessEnv;
	/** Receives every event as it is logged (the headless printer, later the TUI server). */
	onEvent?: (event: EngineEvent) => void;
	/** Install SIGINT/SIGTERM handlers that stop the run cleanly (off in tests that drive stop themselves). */
	handleSignals?: boolean;
	/** `run --unsandboxed` (and the demo where bwrap is missing): run agents unsandboxed on purpose. */
	unsandboxed?: boolean;
	/** Run even though a person's checkout of base has uncommitted changes (see user-checkout.ts). */
	allowDirty?: boolean;
	/** Ends the process when the run finds no room to write (commands/run.ts); without it the error is thrown where the write failed. */
	onUnwritable?: (error: RunUnwritableError) => never;
	/** A sync's pull before the run, for the caller to undo when the run then refuses to start (tracker/sync/run-hook.ts). */
	pullGuard?: PullGuard;
};

/** Start a new run of the configured batch, or resume the one a crash or a signal cut short. */
export async function startRun(opts: StartRunOptions): Promise<RunOutcome> {
	// The tracker's token is the sync's alone: no agent, check or verify of the run gets it.
	const env = withoutTrackerTokens(opts.env ?? process.env);
	const repo = await openRepo(opts.cwd);
	const root = repo.root;
	const prefs = loadPreferences(env);
	const config = loadProjectConfig(root, {defaultAgent: prefs.defaultAgent, defaultReviewer: prefs.defaultReviewer});
	if (!(await repo.revParse(`refs/heads/${config.base}`))) {
		throw new InputError(
			`base branch '${config.base}' does not exist in ${root}\n  fix: create it (git branch ${config.base}) or set "base" in ${CONFIG_PATH}`,
		);
	}
	const adapter = createAdapter(agentOf(config));
	const firstReviewer = reviewerConfigs(config)[0];
	const reviewer = firstReviewer ? createAdapter(firstReviewer) : undefined;
	const sync = await syncBeforeRun({root, config, env: opts.env ?? process.env, version: packageVersion(), ...(opts.pullGuard ? {guard: opts.pullGuard} : {})});
	const tracker = new FileTracker({repoRoot: root, dir: config.tracker.dir});
	const tickets = await tracker.load();
	refuseUnknownEngines(
		config,
		tickets.filter(t => t.batch === config.batch),
	);
	// Decided before anything is written: a required sandbox that cannot run is bad input.
	let sandbox: SandboxDecision;
	try {
		sandbox = resolveSandbox(config.sandbox, env, {unsandboxed: Boolean(opts.unsandboxed)});
		checkWritable(sandboxWritable(config.sandboxPaths.writable, env), protectedDirs(root, config.tracker.dir));
	} catch (error) {
		if (error instanceof SandboxError) throw new InputError(error.message);
		throw error;
	}

	// Before anything is written (no run directory, no lock): a person's uncommitted changes where base is checked out.
	const dirty = await refuseDirtyCheckouts(repo, config.base, [...config.protectedPaths, ...tracker.protectedPaths(), CONFIG_PATH], opts.allowDirty ?? false);
	// Every program the run starts must start: a missing one costs no attempt (preflight.ts).
	await refuseUnlessPreflight({repoRoot: root, config, tickets: tickets.filter(t => t.batch === config.batch), env, boxed: sandbox.mode === 'bwrap'});

	const resumable = findResumableRun(root);
	let manifest: Manifest;
	let run: RunDir;
	let history: EngineEvent[] = [];
	if (resumable) {
		run = resumable.run;
		manifest = readManifest(run);
		history = resumable.events;
		// A resumed run keeps what it pinned: the batch and the base are not the config's to change mid-run.
		if (manifest.batch !== config.batch || manifest.base_branch !== config.base) {
			throw new InputError(
				`run ${run.id} pinned batch '${manifest.batch}' onto '${manifest.base_branch}', ` +
					`but ${CONFIG_PATH} now says batch '${config.batch}' onto '${config.base}'\n` +
					`  fix: put the config back to finish that run, or end it first (\`proofloop run\` refuses to mix them)`,
			);
		}
		const wire = await tripwire({pinnedSha256: manifest.oracle_sha256, useCache: true});
		if (!wire.ok) throw new InputError(`the oracle tripwire failed; refusing to resume run ${run.id}:\n  ${wire.problems.join('\n  ')}`);
	} else {
		const batch = selectBatch(tickets, config);
		const wire = await tripwire({useCache: true});
		if (!wire.ok)
			throw new InputError(
				`the oracle tripwire failed; refusing to run:\n  ${wire.problems.join('\n  ')}\n  fix: reinstall proofloop; the oracle must match oracle/SHA256SUMS`,
			);
		const baseCommit = (await repo.revParse(`refs/heads/${config.base}`)) ?? '';
		manifest = {
			run_id: newRunId(),
			batch: config.batch,
			base_branch: config.base,
			base_commit: baseCommit,
			ticket_ids: batch.map(t => t.id),
			oracle_sha256: wire.oracleSha256,
			config_sha256: sha256File(path.join(root, CONFIG_PATH)),
			created_at: new Date().toISOString(),
			proofloop_version: packageVersion(),
			sandbox: sandbox.mode,
		};
		run = {id: manifest.run_id} as RunDir;
	}

	const release = acquireRunLock(root, manifest.run_id);
	try {
		if (!resumable) run = createRun(root, manifest);
		const log = new EventLog(run.eventsFile, history);
		const unwritable = stopUnwritable(run.id, opts.onUnwritable);
		log.onWriteError = error =>
			unwritable(`the event log ${log.file}`, path.dirname(log.file), diskFullCause(error) ?? `${error.code ?? 'error'}: ${error.message}`);
		// Any other write of the run that finds the disk full (a prompt, an agent's log, a check's output) stops it the same way, instead of failing the attempt.
		const onDiskFull = (cause: string, file: string | undefined): never =>
			unwritable(file ?? `a file in ${run.dir}`, file ? path.dirname(file) : run.dir, cause);
		if (opts.onEvent) log.subscribe(opts.onEvent);
		sync?.attach(log, run.dir);
		const notifier = new Notifier(config.notify, {runId: run.id, batch: manifest.batch, repo: root}, log, env);
		repo.onCheckoutKept = kept => log.append({type: 'checkout.kept', ...kept});
		for (const d of dirty) log.append({type: 'checkout.dirty', path: d.path, files: d.files});
		// The run's channels: the human one (key, 0700 dir, hidden from every box) and one per attempt for its worker.
		const channels = channelDirFor(run.dir, env);
		const tamper = new TamperLog(log);
		const deps: RunDeps = {
			repoRoot: root,
			repo,
			tracker,
			config,
			adapter,
			...(reviewer ? {reviewer} : {}),
			run,
			manifest,
			log,
			baseEnv: workerEnv(env, run),
			...(sandbox.mode === 'bwrap' ? {sandbox: sandboxPolicy(sandbox, root, config, env)} : {}),
			slots: new AgentSlots(config.agentCaps),
			onDiskFull,
			// The engine's keys in a ticket file come from what the engine wrote, never from the file.
			tickets: new TicketWriter(log, tracker, tickets, onDiskFull),
			openChannel: (ticket, attempt, handlers) => openWorkerChannel({channels, ticket, attempt, tamper, handlers}),
			pins: new Map(),
			now: Date.now,
			executor: await (await import('../executor/create.js')).createExecutor(config.executor),
		};
		const engine = new Engine(deps);
		// Before any spawn (and before recovery reaps): how every process of this run is contained.
		const containment = startRunContainment(run, env);
		const how = {pid: process.pid, sandbox: sandbox.mode, containment: containment.description, attempts: config.attempts};
		if (resumable) {
			if (!history.some(e => e.type === 'run.started')) log.append(runStartedEvent(manifest, how));
			log.append({type: 'run.resumed', pid: process.pid, sandbox: sandbox.mode, containment: containment.description, attempts: config.attempts});
			// Someone started it again: a human action, counted like any other.
			log.append({type: 'intervention', kind: 'restart', by: actor()});
			for (const message of containment.warnings) log.append({type: 'warning', message});
			await engine.recover();
		} else {
			log.append(runStartedEvent(manifest, how));
			for (const message of containment.warnings) log.append({type: 'warning', message});
			const outside = outsideBatchNote(tickets, config.batch);
			if (outside) log.append({type: 'warning', message: outside});
		}
		// Said once per engine start, loudly: a run without the sandbox is a different kind of run.
		if (sandbox.mode === 'none' && sandbox.warning) log.append({type: 'warning', message: sandbox.warning});

		let state = readEventLog(run.eventsFile).events.reduce(reduce, emptyRunState(config.concurrency));
		log.subscribe(event => {
			state = reduce(state, event);
		});
		const server = await ControlServer.listen({
			socket: channels.socket,
			log,
			key: prepareChannelDir(channels),
			// Whoever holds the key is the user who started the run: recorded as that user, whatever a message claims.
			by: actor(),
			tamper,
			peer: humanPeerCheck({runId: run.id, strict: sandbox.mode === 'none'}),
			handlers: {
				pause: (_, by) => engine.controls.pause(by),
				resume: (_, by) => engine.controls.resume(by),
				gate: (request, by) => engine.controls.gate(request.ticket, request.reason, by),
				stop: (_, by) => engine.controls.stop(by),
				ungate: (request, by) => engine.controls.ungate(request.ticket, by),
				retry: (request, by) => engine.controls.retryTicket('retry', request.ticket, request.reason, by),
				reset: (request, by) => engine.controls.retryTicket('reset', request.ticket, request.reason, by),
				status: () => ({...statusSummary(state, process.pid), sandbox: sandbox.mode}),
			},
		});
		writeFileAtomic(controlFile(run.dir), JSON.stringify({socket: server.socketPath, pid: process.pid, runId: run.id}) + '\n');

		const onSignal = (signal: NodeJS.Signals) => {
			if (engine.stopping) return;
			log.append({type: 'warning', message: `received ${signal}: stopping; running attempts are interrupted and will be redone on resume`});
			engine.requestStop();
		};
		if (opts.handleSignals) {
			process.on('SIGINT', onSignal);
			process.on('SIGTERM', onSignal);
		}
		try {
			// Before the first dispatch: a crash's leftovers go, and the first spare starts being made.
			await repo.keepSpares(config.spareCheckouts, config.base);
			const verdict = await engine.run();
			// Before the run is recorded as over: no gate or pause lands after this verdict.
			await server.end();
			tamper.end();
			const reason = engine.halted ? 'halted' : engine.stopping ? 'signal' : verdict.exit === 0 ? 'finished' : 'stuck';
			// Stuck or halted: say why where the morning reader looks (the healer read the same text).
			const stopFile = path.join(run.dir, 'stop-report.md');
			const short = reason === 'stuck' || reason === 'halted';
			if (short)
				writeFileAtomic(
					stopFile,
					`# Why run ${run.id} stopped short of done\n\n${stopReport(engine.ctx, verdict, engine.events)}\n${tamperSection(readEventLog(run.eventsFile).events)}`,
				);
			log.append({type: 'run.stopped', reason, oracleExit: verdict.exit, ...(short ? {detail: `see ${stopFile}`} : {})});
			// The log file is the truth: the report is rebuilt from it, not from memory.
			const report = writeFinalReport(run, buildReport(manifest, readEventLog(run.eventsFile).events, await tracker.load()), verdict.exit);
			await sync?.settle();
			// No control request may reach a closed log (a gate arriving now would fail to write and end a finished run at exit 2).
			await notifier.settle();
			await server.close();
			log.close();
			return {exit: verdict.exit, run, verdict, resumed: Boolean(resumable), report};
		} finally {
			process.off('SIGINT', onSignal);
			process.off('SIGTERM', onSignal);
			await notifier.settle();
			await repo.dropSpares();
			await repo.dropVerifyCheckouts();
			await deps.executor?.close();
			await server.close();
			tamper.end();
			rmSync(controlFile(run.dir), {force: true});
			removeChannelDir(channels);
		}
	} finally {
		release();
	}
}
