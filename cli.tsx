#!/usr/bin/env node
// Entry: argv -> one command; nothing else.
import {readPinnedOracle} from './source/core/pinned-oracle.js';
import {oracleFile, packageRoot, packageVersion} from './source/core/paths.js';

// The tracker reads tickets with the oracle's own parser (imported from
// oracle.mjs): an oracle file that is not the pinned one must not be loaded,
// and a broken one must not end every command in a stack trace.
const oracle = readPinnedOracle();
if (!oracle.ok) {
	process.stderr.write(`proofloop: ${oracle.message}\n`);
	process.exit(2);
}
let program: Awaited<ReturnType<typeof import('./source/commands/program.js').buildProgram>>;
try {
	// Loads the command's modules (the tracker among them, which imports oracle.mjs).
	program = await (await import('./source/commands/program.js')).buildProgram(packageVersion(), process.argv);
} catch (error) {
	process.stderr.write(
		`proofloop: cannot load (${(error as Error).message.split('\n')[0]}); if ${oracleFile} or its pin was edited, restore both: ` +
			`\`git checkout -- oracle/\` in ${packageRoot()}, or reinstall proofloop\n`,
	);
	process.exit(2);
}
try {
	await program.parseAsync(process.argv);
} catch (error) {
	// Commander already said what was wrong; anything else escaping a command is a defect, said as one.
	const {usageExit} = await import('./source/commands/program.js');
	process.exitCode = usageExit(error) ?? (await import('./source/commands/errors.js')).reportError(error);
}
