/**
 * `proofloop doctor`'s checks: git, each configured agent CLI (found, its
 * version, the flags the adapter relies on present in its --help), and the
 * sandbox tool. Returns a report; printing it is the command's job.
 *
 * A flag missing from --help is how a CLI update shows up before it costs a
 * batch: codex removed --full-auto, gemini grew --skip-trust, and a missing
 * flag either fails at once or, worse, is silently ignored.
 */
import {execa} from 'execa';
import type {AgentConfig} from './config.js';
import {cliNamed, type CliType} from './registry.js';
import {probeBwrap} from './sandbox.js';
import {describeContainment, ESCAPE_WARNING, probeContainment} from '../process/containment.js';
import {findOnPath} from '../lib/which.js';

export type DoctorCheck = {
	name: string;
	ok: boolean;
	/** What was found: a version, a path, what is missing. */
	detail: string;
	/** What to do about a failed check. */
	fix?: string;
	/** A failed optional check is a warning, not a reason to refuse a run. */
	optional?: boolean;
};

export type DoctorReport = {
	/** Every check that is not optional passed. */
	ok: boolean;
	checks: DoctorCheck[];
};

export type DoctorOptions = {
	/** The environment to look in and run with (PATH above all). Default: process.env. */
	env?: Record<string, string | undefined>;
	/** Per command (--version, --help). Default 20 s. */
	timeoutMs?: number;
	/** Whose uid the agents run as (claude refuses root). Default: ours. */
	uid?: number;
};

const isCli = (config: AgentConfig): config is Extract<AgentConfig, {type: CliType}> => cliNamed(config.type) !== undefined;

export async function doctor(configs: AgentConfig[], options: DoctorOptions = {}): Promise<DoctorReport> {
	const env = cleanEnv(options.env ?? process.env);
	const timeoutMs = options.timeoutMs ?? 20_000;
	const uid = options.uid ?? process.getuid?.();

	// The worker and the reviewer may be the same CLI: check each executable once.
	const clis = new Map<string, {type: CliType; bin: string | undefined}>();
	for (const config of configs) {
		if (!isCli(config)) continue;
		const key = `${config.type}\0${config.bin ?? ''}`;
		if (!clis.has(key)) clis.set(key, {type: config.type, bin: config.bin});
	}
	const types = [...clis.values()].map(cli => cli.type);
	const groups = await Promise.all([
		checkGit(env, timeoutMs),
		...[...clis.values()].map(cli => {
			const twice = types.filter(type => type === cli.type).length > 1;
			return checkCli(cli.type, cli.bin, twice, env, timeoutMs, uid);
		}),
		checkSandbox(env, timeoutMs),
		checkContainment(env),
	]);
	const checks = groups.flat();
	return {ok: checks.every(check => check.ok || check.optional === true), checks};
}

async function checkGit(env: Record<string, string>, timeoutMs: number): Promise<DoctorCheck[]> {
	const fix = 'install git (Debian/Ubuntu: apt-get install git)';
	const found = await findExecutable('git', env);
	if (!found) return [{name: 'git', ok: false, detail: 'git not found on PATH', fix}];
	const version = await run(found, ['--version'], env, timeoutMs);
	if (!version.ok) return [{name: 'git', ok: false, detail: `${found} --version failed: ${version.text}`, fix}];
	return [{name: 'git', ok: true, detail: `${firstLine(version.text)} (${found})`}];
}

async function checkCli(
	type: CliType,
	bin: string | undefined,
	named: boolean,
	env: Record<string, string>,
	timeoutMs: number,
	uid: number | undefined,
): Promise<DoctorCheck[]> {
	const cli = cliNamed(type)!;
	const spec = cli.doctor;
	const wanted = bin ?? cli.name;
	const name = named && bin ? `${type} (${bin})` : type;
	const install = `npm install -g ${spec.npm}`;
	const found = await findExecutable(wanted, env);
	if (!found) {
		const where = wanted.includes('/') ? `${wanted} does not exist or is not executable` : `${wanted} not found on PATH`;
		return [{name, ok: false, detail: where, fix: bin ? `fix "bin" in the agent config, or install it: ${install}` : `install it: ${install}`}];
	}

	const [version, help] = await Promise.all([run(found, ['--version'], env, timeoutMs), run(found, spec.helpArgs, env, timeoutMs)]);
	const checks: DoctorCheck[] = [];
	checks.push(
		version.ok
			? {name, ok: true, detail: `${firstLine(version.text)} (${found})`}
			: {name, ok: false, detail: `${found} --version failed: ${firstLine(version.text)}`, fix: `reinstall it: ${install}`},
	);

	const helpCommand = [type, ...spec.helpArgs].join(' ');
	if (!help.ok && help.text.trim() === '') {
		checks.push({name: `${name} flags`, ok: false, detail: `\`${helpCommand}\` failed and printed nothing`, fix: `reinstall it: ${install}`});
	} else {
		const missing = spec.flags.filter(flag => !mentions(help.text, flag));
		checks.push(
			missing.length === 0
				? {name: `${name} flags`, ok: true, detail: `\`${helpCommand}\` lists ${spec.flags.join(' ')}`}
				: {
						name: `${name} flags`,
						ok: false,
						detail: `\`${helpCommand}\` does not list ${missing.join(' ')}; proofloop runs ${type} with them`,
						fix: `update it: npm install -g ${spec.npm}@latest`,
					},
		);
	}

	// agent-clis.md §2: as root claude refuses --dangerously-skip-permissions
	// (stderr only, exit 1) unless told it runs in a sandbox.
	if (type === 'claude' && uid === 0 && !env['IS_SANDBOX'] && !env['CLAUDE_CODE_BUBBLEWRAP']) {
		checks.push({
			name: `${name} as root`,
			ok: false,
			detail: 'running as root: claude refuses --dangerously-skip-permissions as root unless IS_SANDBOX=1 is set',
			fix: 'run proofloop as a non-root user, or, if this machine is a disposable sandbox, set IS_SANDBOX=1 in its environment',
		});
	}
	return checks;
}

async function checkSandbox(env: Record<string, string>, timeoutMs: number): Promise<DoctorCheck[]> {
	const fix =
		'install bubblewrap (Debian/Ubuntu: apt-get install bubblewrap), or set "sandbox": "none" in .proofloop/config.json to run agents unsandboxed on purpose';
	// Without a sandbox a run refuses to start unless the config (or --unsandboxed) says it runs without one.
	const without = 'a run refuses to start unless "sandbox": "none" (or run --unsandboxed)';
	// PROOFLOOP_BWRAP names the bwrap the engine uses, as in sandbox.ts.
	const found = await findExecutable(env['PROOFLOOP_BWRAP'] || 'bwrap', env);
	if (!found)
		return [
			{
				name: 'sandbox',
				ok: false,
				optional: true,
				detail: `${env['PROOFLOOP_BWRAP'] || 'bwrap (bubblewrap)'} not found${env['PROOFLOOP_BWRAP'] ? '' : ' on PATH'}: ${without}`,
				fix,
			},
		];
	const version = await run(found, ['--version'], env, timeoutMs);
	if (!version.ok) return [{name: 'sandbox', ok: false, optional: true, detail: `${found} --version failed: ${firstLine(version.text)}`, fix}];
	// Found is not enough: user namespaces may be off, or a profile may refuse it. Try the flags an attempt uses.
	const probe = probeBwrap({...env, PROOFLOOP_BWRAP: found});
	if (!probe.ok)
		return [
			{
				name: 'sandbox',
				ok: false,
				optional: true,
				detail: `${probe.reason}: ${without}`,
				fix:
					'allow unprivileged user namespaces (or run as root), then run `proofloop doctor` again; or set "sandbox": ' +
					'"none" to run agents unsandboxed on purpose',
			},
		];
	return [
		{
			name: 'sandbox',
			ok: true,
			optional: true,
			detail: `${firstLine(version.text)} (${found}): sandboxes work here${probe.userns ? '' : ' (without a user namespace)'}`,
		},
	];
}

/** `--flag` as a word of its own in help text: not a prefix of `--flag-other`. */
/** How a run here would contain its processes (containment.ts). */
async function checkContainment(env: Record<string, string>): Promise<DoctorCheck[]> {
	const mode = probeContainment(env);
	if (mode.kind !== 'group')
		return [{name: 'containment', ok: true, optional: true, detail: `${describeContainment(mode)}: every process an attempt starts ends with it`}];
	return [
		{
			name: 'containment',
			ok: false,
			optional: true,
			detail: `${ESCAPE_WARNING} (${mode.reason})`,
			fix: 'run as root, or in a delegated cgroup v2 (systemd-run --user --scope -p Delegate=yes proofloop run); sandboxed agents are still held by bwrap',
		},
	];
}

export function mentions(help: string, flag: string): boolean {
	const escaped = flag.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
	return new RegExp(`(^|[^\\w-])${escaped}(?![\\w-])`, 'm').test(help);
}

/** A name searched on the environment's PATH, or a path; only an executable regular file counts. */
export async function findExecutable(name: string, env: Record<string, string>): Promise<string | undefined> {
	return findOnPath(name, env['PATH']);
}

/** Why `<file> --version` fails (a broken install), or undefined when the CLI starts. */
export async function versionFails(file: string, env: Record<string, string>, timeoutMs = 20_000): Promise<string | undefined> {
	const version = await run(file, ['--version'], env, timeoutMs);
	return version.ok ? undefined : firstLine(version.text) || 'it printed nothing';
}

async function run(file: string, args: string[], env: Record<string, string>, timeoutMs: number): Promise<{ok: boolean; text: string}> {
	const result = await execa(file, args, {env, extendEnv: false, stdin: 'ignore', all: true, reject: false, timeout: timeoutMs, forceKillAfterDelay: 2000});
	const text = typeof result.all === 'string' ? result.all : '';
	if (result.timedOut) return {ok: false, text: `timed out after ${timeoutMs / 1000}s`};
	if (result.exitCode !== 0) return {ok: false, text: text.trim() || (result.shortMessage ?? `exit code ${String(result.exitCode)}`)};
	return {ok: true, text};
}

const firstLine = (text: string): string =>
	text
		.split('\n')
		.find(line => line.trim() !== '')
		?.trim() ?? '';

function cleanEnv(env: Record<string, string | undefined>): Record<string, string> {
	const clean: Record<string, string> = {};
	for (const [key, value] of Object.entries(env)) if (value !== undefined) clean[key] = value;
	return clean;
}
