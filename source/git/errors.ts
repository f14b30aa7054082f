/**
 * Every failure this folder reports is a GitError whose message names what
 * failed and what a human can do about it: the engine shows it verbatim in
 * the ledger, so it has to be actionable without reading our code.
 */
export class GitError extends Error {
	override readonly name = 'GitError';

	constructor(
		message: string,
		/** The git command line and its stderr, when a git process failed. */
		readonly detail?: {args: string[]; exitCode: number; stderr: string},
	) {
		super(message);
	}
}

/** Keeps a git failure message to the lines that matter (git can be chatty). */
export function briefStderr(stderr: string, maxLines = 6): string {
	const lines = stderr
		.split('\n')
		.map(line => line.trimEnd())
		.filter(line => line !== '' && !line.startsWith('hint:'));
	return lines.slice(0, maxLines).join(' | ') || '(git printed nothing)';
}
