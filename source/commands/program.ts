import {Command} from 'commander';
import {registerDemo} from './demo/command.js';
import {registerInit} from './init.js';
import {registerOracle} from './oracle.js';
import {registerRun} from './run.js';
import {registerAttach} from './attach.js';
import {registerControlVerbs} from './control-verbs.js';
import {registerTail} from './tail.js';
import {registerTicket} from './ticket.js';
import {registerReport} from './report.js';
import {registerDoctor} from './doctor.js';

export function buildProgram(version: string): Command {
	const program = new Command('proofloop')
		.version(version)
		.description(
			'Run a batch of tickets unattended through headless coding agents. Each attempt is a fresh agent in its\n' +
				'own git worktree; finished work goes through checks, a guard, a serialized merge and live verification;\n' +
				'the run ends only when the frozen done-oracle (a separate program) says every ticket is done.',
		)
		.showHelpAfterError('(run `proofloop --help` for the commands)');
	registerInit(program);
	registerRun(program);
	registerAttach(program);
	registerControlVerbs(program);
	registerTail(program);
	registerTicket(program);
	registerOracle(program);
	registerReport(program);
	registerDoctor(program);
	registerDemo(program);
	program.addHelpText(
		'after',
		`
Start: proofloop init, write tickets in .proofloop/tickets/, then proofloop run.
Try it first: proofloop demo (or npm run demo in a checkout).`,
	);
	return program;
}
