import {Command} from 'commander';

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
	{commands: ['status', 'pause', 'resume', 'gate', 'ungate', 'stop', 'retry', 'reset'], load: async () => (await import('./control-verbs.js')).registerControlVerbs},
	{commands: ['tail'], load: async () => (await import('./tail.js')).registerTail},
	{commands: ['ticket'], load: async () => (await import('./ticket.js')).registerTicket},
	{commands: ['oracle'], load: async () => (await import('./oracle.js')).registerOracle},
	{commands: ['report'], load: async () => (await import('./report.js')).registerReport},
	{commands: ['doctor'], load: async () => (await import('./doctor.js')).registerDoctor},
	{commands: ['demo'], load: async () => (await import('./demo/command.js')).registerDemo},
];

/** Builds the CLI for `argv` (process.argv): only the named command's module when there is one. */
export async function buildProgram(version: string, argv: string[] = []): Promise<Command> {
	const program = new Command('proofloop')
		.version(version)
		.description(
			'Run a batch of tickets unattended through headless coding agents. Each attempt is a fresh agent in its\n' +
				'own git worktree; finished work goes through checks, a guard, a serialized merge and live verification;\n' +
				'the run ends only when the frozen done-oracle (a separate program) says every ticket is done.',
		)
		.showHelpAfterError('(run `proofloop --help` for the commands)');
	const named = modules.find(m => m.commands.includes(argv[2] ?? ''));
	for (const module of named ? [named] : modules) (await module.load())(program);
	program.addHelpText(
		'after',
		`
Start: proofloop init, write tickets in .proofloop/tickets/, then proofloop run.
Try it first: proofloop demo (or npm run demo in a checkout).`,
	);
	return program;
}
