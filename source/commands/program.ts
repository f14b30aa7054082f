import {Command, CommanderError} from 'commander';

type Register = (program: Command) => void;

/**
 * Each module registers the commands listed with it. A command is loaded
 * alone when argv names it: `proofloop ticket file`, run by a worker inside a
 * busy run, must not pay for the engine and the TUI (all modules together
 * cost about 0.6 s of CPU per call on a 2-core machine, taken from the
 * engine). Help, a bare `proofloop` and unknown commands load them all.
 */
const modules: Array<{commands: string[]; load: () => Promise<Register>}> = [
	{commands: ['init'], load: async () => (await import('./init.js')).registerInit},
	{commands: ['run'], load: async () => (await import('./run.js')).registerRun},
	{commands: ['attach'], load: async () => (await import('./attach.js')).registerAttach},
	{
		commands: ['status', 'pause', 'resume', 'gate', 'ungate', 'stop', 'retry', 'reset'],
		load: async () => (await import('./control-verbs.js')).registerControlVerbs,
	},
	{commands: ['tail'], load: async () => (await import('./tail.js')).registerTail},
	{commands: ['ticket'], load: async () => (await import('./ticket.js')).registerTicket},
	{commands: ['oracle'], load: async () => (await import('./oracle.js')).registerOracle},
	{commands: ['report'], load: async () => (await import('./report.js')).registerReport},
	{commands: ['plan'], load: async () => (await import('./plan.js')).registerPlan},
	{commands: ['doctor'], load: async () => (await import('./doctor.js')).registerDoctor},
	{commands: ['sync'], load: async () => (await import('./sync.js')).registerSync},
	{commands: ['worker'], load: async () => (await import('./worker.js')).registerWorker},
	{commands: ['demo'], load: async () => (await import('../demo/command.js')).registerDemo},
];

/** Builds the CLI for `argv` (process.argv): only the named command's module when there is one. */
export async function buildProgram(version: string, argv: string[] = []): Promise<Command> {
	const program = new Command('proofloop')
		.version(version)
		.description(
			// One paragraph: commander wraps it to the terminal (hard newlines left ragged lines in --help).
			'Run a batch of tickets unattended through headless coding agents. Each attempt is a fresh agent in its ' +
				'own git worktree; finished work goes through checks, a guard, a serialized merge and live verification; ' +
				'the run ends only when the frozen done-oracle (a separate program) says every ticket is done.',
		)
		.showHelpAfterError('(run `proofloop --help` for the commands)')
		// Set before the commands are added, so every one inherits it: a usage error is bad input (exit 2, see cli.tsx).
		.exitOverride();
	const named = modules.find(m => m.commands.includes(argv[2] ?? ''));
	for (const module of named ? [named] : modules) (await module.load())(program);
	argumentsBeforeOptions(program);
	program.addHelpText(
		'after',
		`
Start: proofloop init, write tickets in .proofloop/tickets/, then proofloop run.
Try it first: proofloop demo (or npm run demo in a checkout).`,
	);
	return program;
}

/**
 * Commander checks required options before positional arguments, so `gate`
 * with no id complained about --reason. Required options are checked here
 * instead, after the arguments (a preAction hook runs once they are parsed).
 */
function argumentsBeforeOptions(command: Command): void {
	for (const sub of command.commands) {
		// The fix after a usage error names this command's own help.
		sub.showHelpAfterError(`(run \`${commandPath(sub)} --help\` for its usage)`);
		const required = sub.options.filter(option => option.mandatory);
		for (const option of required) option.mandatory = false;
		if (required.length > 0) {
			sub.hook('preAction', (_, action) => {
				const missing = required.find(option => action.getOptionValue(option.attributeName()) === undefined);
				if (missing) action.error(`error: required option '${missing.flags}' not specified`, {code: 'commander.missingMandatoryOptionValue'});
			});
		}
		argumentsBeforeOptions(sub);
	}
}

function commandPath(command: Command): string {
	const names: string[] = [];
	for (let c: Command | null = command; c; c = c.parent) names.unshift(c.name());
	return names.join(' ');
}

/** A usage error (unknown option, missing argument) is bad input: exit 2; help and --version exit 0. */
export function usageExit(error: unknown): number | undefined {
	if (!(error instanceof CommanderError)) return undefined;
	return error.exitCode === 0 ? 0 : 2;
}
